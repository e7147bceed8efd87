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
    created_at: datetime
    confirmed_at: datetime | None
    removed_at: datetime | None


_COLUMNS = (
    "id, organization_id, status_page_id, channel, target, component_ids, created_at,"
    " confirmed_at, removed_at"
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
    component_ids: tuple[UUID, ...],
    secret_encrypted: bytes | None,
    confirmed: bool,
) -> Subscriber:
    """Add a subscriber; one that was created by its organization needs no confirmation."""
    check_components_on_page(page, component_ids)
    try:
        row = await conn.fetchrow(
            "INSERT INTO subscribers (id, organization_id, status_page_id, channel, target,"
            " secret_encrypted, component_ids, confirmed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END)"
            f" RETURNING {_COLUMNS}",
            new_id(),
            page.organization_id,
            page.id,
            channel,
            target,
            secret_encrypted,
            list(dict.fromkeys(component_ids)),
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
