"""v1 subscribers of a status page, and the deliveries made to them.

Everything here shows or changes who is told, so every endpoint, reads included, needs the
subscribers:write scope: a key with `read` alone sees no addresses.
"""

from __future__ import annotations

from typing import Any, get_args
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, Router, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from app.api.auth import SUBSCRIBERS
from app.api.body import decode_json
from app.api.errors import NotConfigured, NotFound, check_choice, parse_id
from app.api.idempotency import write_once
from app.api.pagination import listed, page_request
from app.api.v1.catalog import find_status_page
from app.api.v1.subscriber_schemas import (
    CreateSubscriber,
    DeliveryOut,
    EditSubscriber,
    SubscriberOut,
    hears_something,
    target_of,
)
from app.config import Settings
from app.crypto import Keys, keys_of, new_webhook_secret
from app.domain.errors import DomainError
from app.domain.notifications import DeliveryStatus
from app.store import deliveries, subscribers
from app.store.api_keys import Principal

STATUSES = get_args(DeliveryStatus)


def require_keys(keys: Keys | None) -> Keys:
    if keys is None:
        raise NotConfigured("SECRET_KEY is not set on this server.")
    return keys


def notification_dependencies(settings: Settings) -> dict[str, Provide]:
    """`settings` and `keys` (None without SECRET_KEY) for the routers that need them."""
    keys = keys_of(settings)
    return {
        "settings": Provide(lambda: settings, sync_to_thread=False),
        "keys": Provide(lambda: keys, sync_to_thread=False),
    }


class SubscriberController(Controller):
    path = "/{page_id:str}/subscribers"

    @post("/", opt=SUBSCRIBERS, status_code=201)
    async def create(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        keys: NamedDependency[Keys | None],
        page_id: FromPath[str],
    ) -> Response:
        page = await find_status_page(request, principal, page_id)

        async def work(conn: asyncpg.Connection) -> UUID:
            data = await decode_json(request, CreateSubscriber)
            target = target_of(data, settings.webhook_allow_private)
            encrypted = None
            if data.channel == "webhook":
                encrypted = require_keys(keys).encrypt(new_webhook_secret())
            subscriber = await subscribers.create_subscriber(
                conn,
                page,
                channel=data.channel,
                target=target,
                preferences=data.preferences(),
                secret_encrypted=encrypted,
                confirmed=True,  # added by the organization itself
            )
            return subscriber.id

        async def render(subscriber_id: UUID) -> dict[str, Any]:
            pool = request.app.state.pool
            subscriber = await subscribers.get_subscriber(pool, page.id, subscriber_id)
            if subscriber is None:  # removed before a retry of its creation
                raise NotFound("No subscriber with the given ID exists on this status page.")
            # The answer to a create, a retry's under the same Idempotency-Key included, is the
            # one place the secret is shown.
            encrypted = await subscribers.webhook_secret(pool, subscriber_id)
            secret = None if encrypted is None else require_keys(keys).decrypt(encrypted)
            return {"data": SubscriberOut.of(subscriber, secret)}

        return await write_once(request, principal, work, render, 201)

    @get("/", opt=SUBSCRIBERS)
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        page = await find_status_page(request, principal, page_id)
        window = page_request(cursor, limit)
        rows = await subscribers.list_subscribers(
            request.app.state.pool, page.id, window.last_seen, window.limit + 1
        )
        return listed(rows, window, SubscriberOut.of)

    async def _find(
        self, request: Request, principal: Principal, page_id: str, subscriber_id: str
    ) -> subscribers.Subscriber:
        page = await find_status_page(request, principal, page_id)
        subscriber = await subscribers.get_subscriber(
            request.app.state.pool, page.id, parse_id(subscriber_id, "subscriber")
        )
        if subscriber is None:
            raise NotFound("No subscriber with the given ID exists on this status page.")
        return subscriber

    @get("/{subscriber_id:str}", opt=SUBSCRIBERS)
    async def show(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page_id: FromPath[str],
        subscriber_id: FromPath[str],
    ) -> dict[str, Any]:
        subscriber = await self._find(request, principal, page_id, subscriber_id)
        return {"data": SubscriberOut.of(subscriber)}

    @patch("/{subscriber_id:str}", opt=SUBSCRIBERS)
    async def edit(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page_id: FromPath[str],
        subscriber_id: FromPath[str],
    ) -> Response:
        """Change what the subscriber hears; what it is owed and no longer wants is cancelled."""
        page = await find_status_page(request, principal, page_id)
        subscriber = await self._find(request, principal, page_id, subscriber_id)

        async def work(conn: asyncpg.Connection) -> UUID:
            data = await decode_json(request, EditSubscriber)
            preferences = subscribers.update_preferences(
                subscriber,
                incidents=data.incidents,
                maintenances=data.maintenances,
                component_changes=data.component_changes,
                component_ids=None if data.component_ids is None else tuple(data.component_ids),
            )
            changed = await subscribers.set_preferences(
                conn, page, subscriber.id, hears_something(preferences)
            )
            if changed is None:  # removed meanwhile
                raise NotFound("No subscriber with the given ID exists on this status page.")
            return changed.id

        async def render(changed_id: UUID) -> dict[str, Any]:
            changed = await subscribers.get_subscriber(request.app.state.pool, page.id, changed_id)
            if changed is None:
                raise NotFound("No subscriber with the given ID exists on this status page.")
            return {"data": SubscriberOut.of(changed)}

        return await write_once(request, principal, work, render, 200)

    @delete("/{subscriber_id:str}", opt=SUBSCRIBERS, status_code=204)
    async def remove(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page_id: FromPath[str],
        subscriber_id: FromPath[str],
    ) -> None:
        subscriber = await self._find(request, principal, page_id, subscriber_id)
        async with request.app.state.pool.acquire() as conn:
            await subscribers.remove_subscriber(conn, subscriber.id)


class DeliveryController(Controller):
    path = "/{page_id:str}/deliveries"

    @get("/", opt=SUBSCRIBERS)
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page_id: FromPath[str],
        status: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        page = await find_status_page(request, principal, page_id)
        check_choice(status, "status", STATUSES)
        window = page_request(cursor, limit)
        rows = await deliveries.list_deliveries(
            request.app.state.pool, page.id, status, window.last_seen, window.limit + 1
        )
        return listed(rows, window, DeliveryOut.of)

    @post("/{delivery_id:str}/retry", opt=SUBSCRIBERS, status_code=200)
    async def retry(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        page_id: FromPath[str],
        delivery_id: FromPath[str],
    ) -> Response:
        page = await find_status_page(request, principal, page_id)
        pool = request.app.state.pool
        delivery = await deliveries.get_delivery(pool, page.id, parse_id(delivery_id, "delivery"))
        if delivery is None:
            raise NotFound("No delivery with the given ID exists on this status page.")

        async def work(conn: asyncpg.Connection) -> UUID:
            if not await deliveries.retry_delivery(conn, delivery.id, settings.delivery_attempts):
                raise DomainError(
                    "delivery_not_retryable",
                    f"The delivery is {delivery.status}; only dead or failed ones can be retried.",
                )
            return delivery.id

        async def render(retried_id: UUID) -> dict[str, Any]:
            retried = await deliveries.get_delivery(pool, page.id, retried_id)
            assert retried is not None
            return {"data": DeliveryOut.of(retried)}

        return await write_once(request, principal, work, render, 200)


def notifications_router(settings: Settings) -> Router:
    """Mounted inside the v1 router, so its guard and principal apply."""
    return Router(
        path="/status-pages",
        route_handlers=[SubscriberController, DeliveryController],
        dependencies=notification_dependencies(settings),
    )
