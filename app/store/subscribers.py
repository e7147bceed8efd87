"""Subscribers of a status page: webhook URLs and email addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from app.domain.catalog import StatusPage
from app.domain.errors import DomainError
from app.ids import new_id
from app.store.deliveries import cancel_pending_of_subscriber

Channel = Literal["webhook", "email"]


class Subscriber(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    status_page_id: UUID
    channel: Channel
    target: str  # the URL or the address
    component_ids: tuple[UUID, ...]
    notify_incidents: bool
    notify_maintenances: bool
    notify_component_changes: bool
    created_at: datetime
    confirmed_at: datetime | None
    removed_at: datetime | None


class Preferences(msgspec.Struct, frozen=True, kw_only=True):
    """What a subscriber hears. Component changes are told only to those who ask: a receiver
    written for Herald's incident webhooks alone is not sent a message it does not know."""

    incidents: bool = True
    maintenances: bool = True
    component_changes: bool = False
    # Empty: every component of the page; otherwise only messages touching one of these.
    component_ids: tuple[UUID, ...] = ()


_COLUMNS = (
    "id, organization_id, status_page_id, channel, target, component_ids, notify_incidents,"
    " notify_maintenances, notify_component_changes, created_at, confirmed_at, removed_at"
)


def _subscriber(row: asyncpg.Record) -> Subscriber:
    return Subscriber(**{**dict(row), "component_ids": tuple(row["component_ids"])})


def check_components_on_page(page: StatusPage, component_ids: tuple[UUID, ...]) -> None:
    for index, component_id in enumerate(component_ids):
        if component_id not in page.component_ids:
            raise DomainError(
                "unknown_component",
                "This component is not shown on the status page.",
                ("component_ids", index),
            )


async def create_subscriber(
    conn: asyncpg.Connection,
    page: StatusPage,
    *,
    channel: Channel,
    target: str,
    preferences: Preferences,
    secret_encrypted: bytes | None,
    confirmed: bool,
) -> Subscriber:
    """Add a subscriber; one that was created by its organization needs no confirmation."""
    check_components_on_page(page, preferences.component_ids)
    try:
        row = await conn.fetchrow(
            "INSERT INTO subscribers (id, organization_id, status_page_id, channel, target,"
            " secret_encrypted, component_ids, notify_incidents, notify_maintenances,"
            " notify_component_changes, confirmed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11 THEN now() END)"
            f" RETURNING {_COLUMNS}",
            new_id(),
            page.organization_id,
            page.id,
            channel,
            target,
            secret_encrypted,
            list(dict.fromkeys(preferences.component_ids)),
            preferences.incidents,
            preferences.maintenances,
            preferences.component_changes,
            confirmed,
        )
    except asyncpg.UniqueViolationError as error:
        field = "url" if channel == "webhook" else "address"
        raise DomainError(
            "subscriber_exists", f"This {field} already subscribes to the page.", (field,)
        ) from error
    return _subscriber(row)


async def find_active(
    conn: asyncpg.Connection, page_id: UUID, channel: Channel, target: str
) -> Subscriber | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM subscribers WHERE status_page_id = $1 AND channel = $2"
        " AND lower(target) = lower($3) AND removed_at IS NULL",
        page_id,
        channel,
        target,
    )
    return None if row is None else _subscriber(row)


async def get_subscriber(
    conn: asyncpg.Connection | asyncpg.Pool, page_id: UUID, subscriber_id: UUID
) -> Subscriber | None:
    """A subscriber of the page that was not removed."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM subscribers WHERE status_page_id = $1 AND id = $2"
        " AND removed_at IS NULL",
        page_id,
        subscriber_id,
    )
    return None if row is None else _subscriber(row)


async def webhook_secret(
    conn: asyncpg.Connection | asyncpg.Pool, subscriber_id: UUID
) -> bytes | None:
    """The webhook's secret as stored, encrypted; None for an address."""
    return await conn.fetchval(
        "SELECT secret_encrypted FROM subscribers WHERE id = $1", subscriber_id
    )


async def subscriber_by_id(
    conn: asyncpg.Connection | asyncpg.Pool, subscriber_id: UUID
) -> Subscriber | None:
    """Any subscriber, removed ones included: a link in an old message still names it."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM subscribers WHERE id = $1", subscriber_id)
    return None if row is None else _subscriber(row)


async def list_subscribers(
    conn: asyncpg.Connection | asyncpg.Pool, page_id: UUID, after: UUID | None, limit: int
) -> list[Subscriber]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM subscribers WHERE status_page_id = $1 AND removed_at IS NULL"
        " AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3",
        page_id,
        after,
        limit,
    )
    return [_subscriber(row) for row in rows]


# Pending messages the new preferences no longer want: updates of incidents (judged by the
# components the incident affects now) and component changes.
_UNWANTED = (
    "UPDATE deliveries SET status = 'cancelled', lease_until = NULL, blocked_by = NULL"
    " WHERE id IN (SELECT d.id FROM deliveries d"
    "     LEFT JOIN incidents i ON i.id = d.incident_id"
    "     LEFT JOIN component_changes c ON c.id = d.component_change_id"
    "     WHERE d.subscriber_id = $1 AND d.status = 'pending' AND ("
    "         (d.kind = 'update' AND (NOT $2 OR (cardinality($4::uuid[]) > 0"
    "             AND NOT i.component_ids && $4::uuid[])))"
    "         OR (d.kind = 'component_update' AND (NOT $3 OR (cardinality($4::uuid[]) > 0"
    "             AND NOT c.component_id = ANY($4::uuid[])))))"
    "     ORDER BY d.id FOR UPDATE OF d) AND status = 'pending'"
)


def update_preferences(
    subscriber: Subscriber,
    *,
    incidents: bool | None = None,
    maintenances: bool | None = None,
    component_changes: bool | None = None,
    component_ids: tuple[UUID, ...] | None = None,
) -> Preferences:
    """The subscriber's preferences with the given ones changed."""
    return Preferences(
        incidents=subscriber.notify_incidents if incidents is None else incidents,
        maintenances=subscriber.notify_maintenances if maintenances is None else maintenances,
        component_changes=subscriber.notify_component_changes
        if component_changes is None
        else component_changes,
        component_ids=subscriber.component_ids if component_ids is None else component_ids,
    )


async def set_preferences(
    conn: asyncpg.Connection, page: StatusPage, subscriber_id: UUID, preferences: Preferences
) -> Subscriber | None:
    """Change what the subscriber hears, from what it is still owed on; None if it is gone."""
    check_components_on_page(page, preferences.component_ids)
    component_ids = list(dict.fromkeys(preferences.component_ids))
    async with conn.transaction():
        row = await conn.fetchrow(
            "UPDATE subscribers SET notify_incidents = $3, notify_maintenances = $4,"
            " notify_component_changes = $5, component_ids = $6"
            " WHERE id = $1 AND status_page_id = $2 AND removed_at IS NULL"
            f" RETURNING {_COLUMNS}",
            subscriber_id,
            page.id,
            preferences.incidents,
            preferences.maintenances,
            preferences.component_changes,
            component_ids,
        )
        if row is None:
            return None
        await conn.execute(
            _UNWANTED,
            subscriber_id,
            preferences.incidents,
            preferences.component_changes,
            component_ids,
        )
    return _subscriber(row)


async def confirm_subscriber(conn: asyncpg.Connection, subscriber_id: UUID) -> bool:
    """Confirm a subscriber still subscribed; confirming twice is no error."""
    status = await conn.execute(
        "UPDATE subscribers SET confirmed_at = coalesce(confirmed_at, now())"
        " WHERE id = $1 AND removed_at IS NULL",
        subscriber_id,
    )
    return status != "UPDATE 0"


async def remove_subscriber(conn: asyncpg.Connection, subscriber_id: UUID) -> None:
    """Stop telling the subscriber anything, including what is already owed to it."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE subscribers SET removed_at = coalesce(removed_at, now()) WHERE id = $1",
            subscriber_id,
        )
        await cancel_pending_of_subscriber(conn, subscriber_id)
