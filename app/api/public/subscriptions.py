"""/status/{slug}/subscribe, .../subscriptions/confirm, .../subscription (manage) and
.../unsubscribe: no login, just links.

Subscribing is double opt-in: the address gets a confirmation mail and nothing else until its
owner confirms. Mail scanners fetch the links in a mail, so a GET of a confirm or unsubscribe
link only shows a page with a button and the POST acts; RFC 8058 one-click unsubscribe is that
same POST, sent by the mail client. The signed token decides whom a link is for; the slug in
the path is only what the page's address was when the link was sent.

The status page's form posts here as a form and gets pages back; a JSON client gets JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from app.api.body import decode_json
from app.api.errors import NotFound, RequestInvalid
from app.api.v1.errors import error_response
from app.api.v1.schemas import ComponentIds, Input
from app.api.v1.subscriber_schemas import check_address, hears_something
from app.api.v1.subscribers import notification_dependencies, require_keys
from app.config import Settings
from app.crypto import Keys, Purpose
from app.domain.catalog import StatusPage
from app.domain.clients import client_of
from app.domain.errors import DomainError
from app.store.catalog import get_status_page
from app.store.public_reads import find_published_page, load_public_page
from app.store.subscribers import (
    Preferences,
    Subscriber,
    confirm_subscriber,
    remove_subscriber,
    set_preferences,
    subscriber_by_id,
)
from app.store.subscription_requests import request_subscription

TEMPLATE = "subscription.html.jinja"
SENT = (
    "If this address is not subscribed yet, a confirmation mail is on its way. "
    "Follow its link to start receiving updates."
)
BAD_LINK = "This link is not valid, or it has expired. You can subscribe again from the page."
SAVED = "Saved. Every message from now on follows these choices."
NOTHING_CHOSEN = "Choose at least one kind of message, or unsubscribe below."
NO_COMPONENT = "Choose at least one of the page's components, or unsubscribe below."


class SubscribeIn(Input):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    component_ids: ComponentIds = msgspec.field(default_factory=list)
    incidents: bool = True
    maintenances: bool = True
    component_changes: bool = False


def _page(title: str, message: str, status: int = 200, **context: Any) -> Template:
    return Template(
        template_name=TEMPLATE,
        context={"title": title, "message": message, **context},
        status_code=status,
        media_type="text/html",
        # These pages show a subscriber's address: no cache may keep one for the next reader.
        headers={"Cache-Control": "no-store"},
    )


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


async def _read(request: Request) -> tuple[str, Preferences]:
    """The address and what it is to hear, from the page's form or a JSON body; the form
    chooses components only, the rest is for the manage page each message links to."""
    if not _is_form(request):
        data = await decode_json(request, SubscribeIn)
        preferences = Preferences(
            incidents=data.incidents,
            maintenances=data.maintenances,
            component_changes=data.component_changes,
            component_ids=tuple(data.component_ids),
        )
        return check_address(data.email, "email"), hears_something(preferences)
    form = await request.form()
    try:
        ids = tuple(UUID(value) for value in form.getall("componentIds", []))
    except ValueError as error:
        raise RequestInvalid("The form failed validation.", [("componentIds", "not an id")]) from (
            error
        )
    return check_address(form.get("email"), "email"), Preferences(component_ids=ids)


class LinkNotValid(Exception):
    """A link's token is forged or expired, or names a subscriber or page that is gone."""

    def __init__(self, purpose: Purpose) -> None:
        super().__init__(purpose)
        self.purpose = purpose


def _link_not_valid(request: Request, error: LinkNotValid) -> Template:
    return _page("Link expired" if error.purpose == "confirm" else "Link not valid", BAD_LINK, 400)


class Subscriptions(Controller):
    path = "/status/{slug:str}"

    @post("/subscribe", status_code=202)
    async def subscribe(
        self, request: Request, settings: NamedDependency[Settings], slug: FromPath[str]
    ) -> Template | Response | dict[str, Any]:
        pool = request.app.state.pool
        page = await find_published_page(pool, slug)
        if page is None:
            raise NotFound("No published status page has this address.")
        page_url = _page_url(request, page)
        try:
            address, preferences = await _read(request)
            async with pool.acquire() as conn:
                outcome = await request_subscription(
                    conn,
                    page,
                    address=address,
                    preferences=preferences,
                    client=client_of(request.client.host) if request.client else "unknown",
                    max_attempts=settings.delivery_attempts,
                )
        except (RequestInvalid, DomainError) as error:
            if not _is_form(request):
                raise
            return _page("Not subscribed", error.message, 422, page=page, page_url=page_url)
        if outcome == "client_limited":
            message = "Too many subscription requests from your network; try again later."
            if _is_form(request):
                return _page("Please wait", message, 429, page=page, page_url=page_url)
            return error_response(request, 429, "rate_limited", message)
        if _is_form(request):
            return _page("Check your inbox", SENT, 202, page=page, page_url=page_url)
        return {"data": {"status": "pending_confirmation", "message": SENT}}

    @get("/subscriptions/confirm")
    async def confirm_page(
        self, request: Request, keys: NamedDependency[Keys | None], token: FromQuery[str] = ""
    ) -> Template:
        subscriber, page = await _subscriber(request, keys, token, "confirm")
        return _page(
            "Confirm your subscription",
            f"Send {page.name} status updates to {subscriber.target}?",
            page=page,
            action=_here(request),
            button="Confirm subscription",
        )

    @post("/subscriptions/confirm", status_code=200)
    async def confirm(
        self, request: Request, keys: NamedDependency[Keys | None], token: FromQuery[str] = ""
    ) -> Template:
        subscriber, page = await _subscriber(request, keys, token, "confirm")
        async with request.app.state.pool.acquire() as conn:
            if not await confirm_subscriber(conn, subscriber.id):
                return _page("Link expired", BAD_LINK, 400, page=page)
        # The same link every message carries, so the choice can be made right away.
        manage_token = require_keys(keys).token("unsubscribe", subscriber.id)
        return _page(
            "Subscribed",
            f"{subscriber.target} will receive {page.name} status updates.",
            page=page,
            page_url=_page_url(request, page),
            choose=f"{_page_url(request, page)}/subscription?token={manage_token}",
        )

    @get("/subscription")
    async def manage_page(
        self, request: Request, keys: NamedDependency[Keys | None], token: FromQuery[str] = ""
    ) -> Template:
        """What the subscriber hears, to change, and the way out; reached from every message."""
        subscriber, page = await _subscriber(request, keys, token, "unsubscribe")
        return await _manage(request, subscriber, page)

    @post("/subscription", status_code=200)
    async def manage(
        self, request: Request, keys: NamedDependency[Keys | None], token: FromQuery[str] = ""
    ) -> Template:
        subscriber, page = await _subscriber(request, keys, token, "unsubscribe")
        if subscriber.removed_at is not None:
            return await _manage(request, subscriber, page)
        form = await request.form()
        try:
            chosen = tuple(UUID(value) for value in form.getall("componentIds", []))
        except ValueError:
            chosen = ()
        if (page.component_ids and not chosen) or not set(chosen) <= set(page.component_ids):
            return await _manage(request, subscriber, page, NO_COMPONENT, 422)
        everything = set(chosen) == set(page.component_ids)
        preferences = Preferences(
            incidents="incidents" in form,
            maintenances="maintenances" in form,
            component_changes="componentChanges" in form,
            # Every component checked: every component, those added later too.
            component_ids=() if everything else chosen,
        )
        if not (preferences.incidents or preferences.maintenances or preferences.component_changes):
            return await _manage(request, subscriber, page, NOTHING_CHOSEN, 422)
        async with request.app.state.pool.acquire() as conn:
            changed = await set_preferences(conn, page, subscriber.id, preferences)
        return await _manage(request, changed or subscriber, page, SAVED)

    @get("/unsubscribe")
    async def unsubscribe_page(
        self, request: Request, keys: NamedDependency[Keys | None], token: FromQuery[str] = ""
    ) -> Template:
        subscriber, page = await _subscriber(request, keys, token, "unsubscribe")
        return _page(
            "Unsubscribe",
            f"Stop sending {page.name} status updates to {subscriber.target}?",
            page=page,
            action=_here(request),
            button="Unsubscribe",
        )

    @post("/unsubscribe", status_code=200)
    async def unsubscribe(
        self, request: Request, keys: NamedDependency[Keys | None], token: FromQuery[str] = ""
    ) -> Template:
        """The button on the page above, and RFC 8058's one-click POST from a mail client."""
        subscriber, page = await _subscriber(request, keys, token, "unsubscribe")
        async with request.app.state.pool.acquire() as conn:
            await remove_subscriber(conn, subscriber.id)
        return _page(
            "Unsubscribed",
            f"{subscriber.target} will receive no more {page.name} status updates.",
            page=page,
        )


async def _manage(
    request: Request,
    subscriber: Subscriber,
    page: StatusPage,
    notice: str | None = None,
    status: int = 200,
) -> Template:
    page_url = _page_url(request, page)
    if subscriber.removed_at is not None:
        message = f"{subscriber.target} receives no {page.name} status updates any more."
        return _page("Not subscribed", message, page=page, page_url=page_url)
    view = await load_public_page(request.app.state.pool, page)
    wanted = set(subscriber.component_ids)
    return _page(
        "Your subscription",
        f"Choose what {page.name} sends to {subscriber.target}.",
        status,
        page=page,
        page_url=page_url,
        notice=notice,
        manage=_here(request),
        unsubscribe=f"{page_url}/unsubscribe?{request.url.query}",
        topics=[
            ("incidents", "Incidents", subscriber.notify_incidents),
            ("maintenances", "Scheduled maintenance", subscriber.notify_maintenances),
            ("componentChanges", "Component status changes", subscriber.notify_component_changes),
        ],
        components=[
            (str(component.id), component.name, not wanted or component.id in wanted)
            for component in view.components
        ],
    )


def _page_url(request: Request, page: StatusPage) -> str:
    return f"{request.app.state.public_base}/status/{page.slug}"


def _here(request: Request) -> str:
    """This page's own address, for its form: PUBLIC_URL or relative, never the Host asked."""
    return f"{request.app.state.public_base}{request.url.path}?{request.url.query}"


async def _subscriber(
    request: Request, keys: Keys | None, token: str, purpose: Purpose
) -> tuple[Subscriber, StatusPage]:
    """Whom the link is for, and the page they subscribed to; else LinkNotValid."""
    subscriber_id = require_keys(keys).verify(token, purpose, datetime.now(UTC))
    if subscriber_id is None:
        raise LinkNotValid(purpose)
    pool = request.app.state.pool
    subscriber = await subscriber_by_id(pool, subscriber_id)
    if subscriber is None:
        raise LinkNotValid(purpose)
    page = await get_status_page(pool, subscriber.organization_id, subscriber.status_page_id)
    if page is None:
        raise LinkNotValid(purpose)
    return subscriber, page


def subscriptions_router(settings: Settings) -> Router:
    return Router(
        path="/",
        route_handlers=[Subscriptions],
        dependencies=notification_dependencies(settings),
        exception_handlers={LinkNotValid: _link_not_valid},
    )
