"""Delivery rows: what is owed to whom, how it went, and the ways a row comes to be or ends.

Statements that change many rows lock them in id order first, as delivery_jobs does, so that
they never deadlock with a worker settling the same rows.

Whoever writes a row the queue should see next also NOTIFYs DELIVERIES_CHANNEL in the same
transaction, so the worker hands it to Redis at once; a command never talks to Redis itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from uuid import UUID

import asyncpg
import msgspec

from app.domain.notifications import DeliveryStatus, idempotency_key
from app.ids import new_id
from app.store.delivery_jobs import Due

DELIVERIES_CHANNEL = "herald_deliveries"
FAN_OUT_CHUNK = 2000  # subscribers read, and their rows written, per transaction


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    idempotency_key: str
    organization_id: UUID
    status_page_id: UUID
    subscriber_id: UUID
    channel: str
    kind: str
    incident_id: UUID | None
    update_id: UUID | None
    status: DeliveryStatus
    attempts: int
    last_attempt_at: datetime | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


_SELECT = (
    "SELECT d.id, d.idempotency_key, d.organization_id, d.status_page_id, d.subscriber_id,"
    " s.channel, d.kind, d.incident_id, d.update_id, d.status, d.attempts, d.last_attempt_at,"
    " d.last_error, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,"
    " d.delivered_at, d.created_at FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
)


async def wake_worker(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_notify($1, '')", DELIVERIES_CHANNEL)


async def list_deliveries(
    conn: asyncpg.Connection | asyncpg.Pool,
    page_id: UUID,
    status: DeliveryStatus | None,
    before: UUID | None,
    limit: int,
) -> list[Delivery]:
    """Newest first: ids are UUIDv7."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE d.status_page_id = $1 AND ($2::text IS NULL OR d.status = $2)"
        " AND ($3::uuid IS NULL OR d.id < $3) ORDER BY d.id DESC LIMIT $4",
        page_id,
        status,
        before,
        limit,
    )
    return [Delivery(**dict(row)) for row in rows]


async def get_delivery(
    conn: asyncpg.Connection | asyncpg.Pool, page_id: UUID, delivery_id: UUID
) -> Delivery | None:
    row = await conn.fetchrow(
        f"{_SELECT} WHERE d.status_page_id = $1 AND d.id = $2", page_id, delivery_id
    )
    return None if row is None else Delivery(**dict(row))


async def retry_delivery(conn: asyncpg.Connection, delivery_id: UUID, budget: int) -> bool:
    """Give a dead or failed delivery a fresh round of attempts; False if it is neither."""
    async with conn.transaction():
        status = await conn.execute(
            "UPDATE deliveries SET status = 'pending', max_attempts = attempts + $2,"
            " next_attempt_at = now(), enqueued_at = NULL, lease_until = NULL"
            " WHERE id = $1 AND status IN ('dead', 'failed')",
            delivery_id,
            budget,
        )
        if status == "UPDATE 0":
            return False
        await wake_worker(conn)
    return True


class Written(NamedTuple):
    """What one call wrote of an event's rows."""

    subscribers: int  # read, whether or not a row of theirs was there already
    last: UUID | None  # the last of a full chunk: the event may owe more past this subscriber
    # The rows written, marked queued as they were: the caller hands them to the queue once
    # they commit (see workers/sweeper.py), where marking them later would rewrite each row.
    queued: tuple[Due, ...] = ()


NOTHING = Written(0, None)
# Appended to a fan-out's INSERT, which sets enqueued_at: the rows as Due.
QUEUED = " RETURNING id, event_position, attempts, next_attempt_at"


async def next_chunk(
    conn: asyncpg.Connection, query: str, *args: object, after: UUID | None
) -> list[asyncpg.Record]:
    """The next FAN_OUT_CHUNK rows of `query` (one per subscriber, with its `id`) past the
    subscriber `after`, in id order. An event's rows are written a chunk per transaction, so
    the first ones reach the queue while the rest are written; the dispatcher's checkpoint
    records where a chunk stopped, and a worker that dies between two goes on from there.

    `query` may bound its own reads with the two parameters after `args`, `after` and the
    chunk's size: reading each page's subscribers along subscribers_live_by_page from
    `after`, a chunk costs as much at the end of a long list as at its start, where a read of
    the whole list each time would make a fan-out's cost grow with the square of its
    subscribers."""
    return await conn.fetch(
        f"SELECT * FROM ({query}) AS owed WHERE id > ${len(args) + 1} ORDER BY id"
        f" LIMIT ${len(args) + 2}",
        *args,
        after or UUID(int=0),
        FAN_OUT_CHUNK,
    )


def written(subscribers: list[asyncpg.Record], rows: list[asyncpg.Record]) -> Written:
    """What writing the rows of this chunk did (`rows`: what QUEUED returned); a chunk short
    of full was the event's last."""
    full = len(subscribers) == FAN_OUT_CHUNK
    queued = tuple(Due(**dict(row)) for row in rows)
    return Written(len(subscribers), subscribers[-1]["id"] if full else None, queued)


_CONCERNED = (  # each page's subscribers read from $4 on, $5 at most (see next_chunk)
    "SELECT s.id, s.status_page_id FROM status_pages p CROSS JOIN LATERAL"
    " (SELECT s.id, s.status_page_id FROM subscribers s"
    "     WHERE s.status_page_id = p.id AND s.id > $4"
    "     AND s.removed_at IS NULL AND s.confirmed_at <= $3 AND s.notify_incidents"
    "     AND (s.component_ids = '{}' OR s.component_ids && $2::uuid[])"
    "     ORDER BY s.id LIMIT $5) s"
    " WHERE p.organization_id = $1 AND p.published AND p.component_ids && $2::uuid[]"
)


async def create_update_deliveries(
    conn: asyncpg.Connection,
    *,
    event_position: int,
    organization_id: UUID,
    incident_id: UUID,
    update_id: UUID,
    component_ids: tuple[UUID, ...],
    recorded_at: datetime,
    after: UUID | None,
    max_attempts: int,
) -> Written:
    """One row per subscriber the update concerns, for the next chunk of them past `after`;
    a second call for the same event and chunk adds none.

    A subscriber hears of an update when it hears incidents, a published page of its
    organization shows the incident, its component filter (if any) meets the incident's
    components, and it was confirmed before the update was recorded: a late dispatcher never
    tells newcomers old news.
    """
    subscribers = await next_chunk(
        conn, _CONCERNED, organization_id, list(component_ids), recorded_at, after=after
    )
    rows = []
    if subscribers:
        rows = await conn.fetch(
            "INSERT INTO deliveries (id, idempotency_key, organization_id, status_page_id,"
            " subscriber_id, kind, event_position, incident_id, update_id, max_attempts,"
            " enqueued_at)"
            " SELECT u.id, u.key, $1, u.page_id, u.subscriber_id, 'update', $2, $3, $4, $5,"
            " now() FROM unnest($6::uuid[], $7::text[], $8::uuid[], $9::uuid[])"
            " AS u(id, key, page_id, subscriber_id)"
            " ON CONFLICT (idempotency_key) DO NOTHING" + QUEUED,
            organization_id,
            event_position,
            incident_id,
            update_id,
            max_attempts,
            [new_id() for _ in subscribers],
            [idempotency_key(update_id, row["id"]) for row in subscribers],
            [row["status_page_id"] for row in subscribers],
            [row["id"] for row in subscribers],
        )
    return written(subscribers, rows)


async def create_confirmation(
    conn: asyncpg.Connection,
    *,
    organization_id: UUID,
    page_id: UUID,
    subscriber_id: UUID,
    max_attempts: int,
) -> None:
    """Owe the subscriber a confirmation mail; each request is a message of its own."""
    delivery_id = new_id()
    await conn.execute(
        "INSERT INTO deliveries (id, idempotency_key, organization_id, status_page_id,"
        " subscriber_id, kind, max_attempts) VALUES ($1, $2, $3, $4, $5, 'confirmation', $6)",
        delivery_id,
        delivery_id.hex,
        organization_id,
        page_id,
        subscriber_id,
        max_attempts,
    )
    await wake_worker(conn)


async def cancel_pending_of_update(conn: asyncpg.Connection, update_id: UUID) -> int:
    """A redacted update is owed to no one any more; what waited behind it may go."""
    status = await conn.execute(
        "UPDATE deliveries SET status = 'cancelled', lease_until = NULL, blocked_by = NULL"
        " WHERE id IN (SELECT id FROM deliveries WHERE update_id = $1 AND status = 'pending'"
        "     ORDER BY id FOR UPDATE) AND status = 'pending'",
        update_id,
    )
    return int(status.rpartition(" ")[2])


async def cancel_pending_of_subscriber(conn: asyncpg.Connection, subscriber_id: UUID) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'cancelled', lease_until = NULL, blocked_by = NULL"
        " WHERE id IN (SELECT id FROM deliveries WHERE subscriber_id = $1 AND status = 'pending'"
        "     ORDER BY id FOR UPDATE) AND status = 'pending'",
        subscriber_id,
    )
