"""The worker's side of delivery rows: take what is due to the queue, claim, settle.

A job claims its rows with a lease before sending. A second job for the same rows (the sweeper
re-enqueued them, or arq re-ran a dead worker's job) finds them leased or settled and sends
nothing; once a dead worker's lease runs out the rows are sent again, under the same key.

A subscriber hears of updates and component changes in the order they happened: a claim parks
a row while an earlier one to the same subscriber is pending (blocked_by), and settling that
earlier row releases it. Earlier means an earlier event, then (for one event's several rows)
a lower id: ids come from the clocks of the workers that wrote the rows, which need not agree.

Statements that change many rows lock them first in id order (or skip locked ones, where a row
someone else holds needs nothing from them), so that two of them never wait for each other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from app.domain.notifications import DeliveryStatus


class Due(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    event_position: int | None
    attempts: int
    next_attempt_at: datetime


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    idempotency_key: str
    kind: str
    organization_id: UUID
    status_page_id: UUID
    subscriber_id: UUID
    channel: str
    target: str
    secret_encrypted: bytes | None  # webhooks sign with it
    incident_id: UUID | None
    update_id: UUID | None
    attempts: int  # including the one this claim starts
    max_attempts: int


class Settled(msgspec.Struct, frozen=True):
    id: UUID
    status: DeliveryStatus
    delay: float = 0.0
    error: str | None = None


async def take_due(conn: asyncpg.Connection, stale_after: float, limit: int) -> list[Due]:
    """Mark as queued, and return, the pending rows no job holds that were never enqueued, or
    were due long ago and are still pending: their job was lost (Redis keeps nothing on disk)
    or its worker died.

    The mark commits before the caller enqueues their job, so a job finds its rows marked
    whenever it starts; were it the other way round, a job starting in between would skip
    rows locked by the marking, claim nothing, and leave them to the stale sweep.
    """
    rows = await conn.fetch(
        "UPDATE deliveries d SET enqueued_at = now() WHERE d.id IN (SELECT id FROM deliveries"
        "     WHERE status = 'pending' AND blocked_by IS NULL"
        "     AND (lease_until IS NULL OR lease_until < now())"
        "     AND (enqueued_at IS NULL OR (enqueued_at < now() - make_interval(secs => $1)"
        "          AND next_attempt_at < now() - make_interval(secs => $1)))"
        "     ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING d.id, d.event_position, d.attempts, d.next_attempt_at",
        stale_after,
        limit,
    )
    return [Due(**dict(row)) for row in rows]


async def unmark_all_enqueued(conn: asyncpg.Connection) -> None:
    """The queue came back empty: every pending row marked queued is due again now rather
    than after the stale interval. A row a job holds keeps its lease, which take_due honours;
    one being claimed or settled right now is skipped, as that job records it itself."""
    await conn.execute(
        "UPDATE deliveries SET enqueued_at = NULL WHERE id IN (SELECT id FROM deliveries"
        "     WHERE status = 'pending' AND enqueued_at IS NOT NULL"
        "     ORDER BY id FOR UPDATE SKIP LOCKED)"
    )


async def unmark_enqueued(conn: asyncpg.Connection, rows: Sequence[Due]) -> None:
    """Rows whose job never reached the queue are due again at once, not after the stale
    interval; an attempt made meanwhile (a job that took them over) leaves its row alone."""
    await conn.execute(
        "UPDATE deliveries d SET enqueued_at = NULL"
        " FROM unnest($1::uuid[], $2::int[]) AS u(id, attempts)"
        " WHERE d.id = u.id AND d.attempts = u.attempts AND d.status = 'pending'"
        " AND d.id IN (SELECT id FROM deliveries WHERE id = ANY($1::uuid[])"
        "     ORDER BY id FOR UPDATE)",
        [row.id for row in rows],
        [row.attempts for row in rows],
    )


async def release_waiting(conn: asyncpg.Connection) -> None:
    """Let go of rows whose earlier row settled. settle() does it as it goes; this catches
    the rare row parked just as its blocker settled, and skips rows a job holds."""
    await conn.execute(
        "UPDATE deliveries w SET blocked_by = NULL, next_attempt_at = now(), enqueued_at = NULL"
        " FROM deliveries b WHERE w.blocked_by = b.id AND b.status <> 'pending'"
        " AND w.status = 'pending' AND w.id IN (SELECT id FROM deliveries"
        "     WHERE blocked_by IS NOT NULL ORDER BY id FOR UPDATE SKIP LOCKED)"
    )


async def claim(conn: asyncpg.Connection, ids: Sequence[UUID], lease: float) -> list[Claimed]:
    """Lease the rows that are due to this job, in one statement. On the way it cancels rows
    that must not go any more (to a removed subscriber, through an unpublished page, about a
    redacted update whose body is gone, a confirmation already confirmed, a kind of message the
    subscriber no longer hears) and parks rows that must wait for an earlier message to the
    same subscriber."""
    rows = await conn.fetch(
        # The rows are locked first and judged by the versions the lock returns (the latest),
        # and the update finds them by id alone: a plan free to start elsewhere started from
        # every pending row whenever the table's statistics lagged behind a fan-out, a cost
        # that grew with the backlog. Each row's moot and blocker are worked out once.
        "WITH x AS MATERIALIZED (SELECT id, kind, subscriber_id, update_id, event_position,"
        "     status, blocked_by, next_attempt_at, lease_until"
        "     FROM deliveries WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE SKIP LOCKED),"
        " m AS MATERIALIZED (SELECT x.id, s.channel, s.target, s.secret_encrypted,"
        "       s.removed_at IS NOT NULL OR NOT p.published"
        "       OR (x.kind = 'update' AND NOT EXISTS"
        "           (SELECT 1 FROM update_bodies b WHERE b.update_id = x.update_id))"
        "       OR (x.kind = 'confirmation' AND s.confirmed_at IS NOT NULL)"
        "       OR (x.kind = 'update' AND NOT s.notify_incidents)"
        "       OR (x.kind = 'maintenance' AND NOT s.notify_maintenances)"
        "       OR (x.kind = 'component_update' AND NOT s.notify_component_changes) AS moot,"
        "       CASE WHEN x.kind <> 'confirmation' THEN"
        "           (SELECT o.id FROM deliveries o WHERE o.subscriber_id = x.subscriber_id"
        "            AND o.kind <> 'confirmation' AND o.status = 'pending'"
        "            AND (o.event_position, o.id) < (x.event_position, x.id)"
        "            ORDER BY o.event_position DESC, o.id DESC LIMIT 1) END AS blocker"
        "       FROM x JOIN subscribers s ON s.id = x.subscriber_id"
        "       JOIN status_pages p ON p.id = s.status_page_id"
        "       WHERE x.status = 'pending' AND x.blocked_by IS NULL"
        "       AND x.next_attempt_at <= now() + interval '1 second'"
        "       AND (x.lease_until IS NULL OR x.lease_until < now()))"
        " UPDATE deliveries d SET"
        " status = CASE WHEN m.moot THEN 'cancelled' ELSE d.status END,"
        " blocked_by = CASE WHEN m.moot THEN NULL ELSE m.blocker END,"
        " lease_until = CASE WHEN m.moot OR m.blocker IS NOT NULL THEN NULL"
        "     ELSE now() + make_interval(secs => $2) END,"
        " attempts = d.attempts + CASE WHEN m.moot OR m.blocker IS NOT NULL THEN 0 ELSE 1 END,"
        " last_attempt_at = CASE WHEN m.moot OR m.blocker IS NOT NULL THEN d.last_attempt_at"
        "     ELSE now() END,"
        " enqueued_at = CASE WHEN m.blocker IS NOT NULL THEN NULL ELSE d.enqueued_at END"
        " FROM m WHERE d.id = m.id"
        " RETURNING m.moot OR m.blocker IS NOT NULL AS skipped, d.id, d.idempotency_key,"
        " d.kind, d.organization_id, d.status_page_id, d.subscriber_id, m.channel, m.target,"
        " m.secret_encrypted, d.incident_id, d.update_id, d.attempts, d.max_attempts",
        list(ids),
        lease,
    )
    return [
        Claimed(**{k: v for k, v in row.items() if k != "skipped"})
        for row in rows
        if not row["skipped"]
    ]


async def unredacted(conn: asyncpg.Connection, update_ids: Collection[UUID]) -> set[UUID]:
    """The updates among these whose body is still there, as of every redaction committed
    before this returns.

    A redaction deletes the body row; locking the rows (FOR KEY SHARE conflicts with DELETE
    only) makes this wait for a redaction deleting one right now and then see it gone, where a
    plain read would go by a snapshot that misses it. A message stamped before asking, and
    sent only if its update is in the answer, was built before any redaction of it committed.
    """
    rows = await conn.fetch(
        "SELECT update_id FROM update_bodies WHERE update_id = ANY($1::uuid[])"
        " ORDER BY update_id FOR KEY SHARE",
        list(update_ids),
    )
    return {row["update_id"] for row in rows}


_SETTLE = (
    "WITH u AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[])"
    "     AS u(id, status, delay, error)),"
    " settled AS (UPDATE deliveries d SET status = u.status, lease_until = NULL,"
    "     last_error = u.error,"
    "     delivered_at = CASE WHEN u.status = 'delivered' THEN now() END,"
    "     next_attempt_at = CASE WHEN u.status = 'pending'"
    "         THEN now() + make_interval(secs => u.delay) ELSE d.next_attempt_at END,"
    "     enqueued_at = CASE WHEN u.status = 'pending' THEN NULL ELSE d.enqueued_at END"
    "     FROM u WHERE d.id = u.id AND (d.status = 'pending' OR u.status = 'delivered')"
    "     AND d.id IN (SELECT id FROM deliveries WHERE id = ANY($1::uuid[])"
    "         ORDER BY id FOR UPDATE)"
    "     RETURNING d.id, d.status),"
    # Settled now, or before (a row cancelled while its message was on the way).
    " blockers AS (SELECT id FROM settled WHERE status <> 'pending'"
    "     UNION ALL SELECT id FROM deliveries WHERE id = ANY($1::uuid[]) AND status <> 'pending'"
    "     AND id NOT IN (SELECT id FROM settled))"
    " UPDATE deliveries w SET blocked_by = NULL, next_attempt_at = now(), enqueued_at = NULL"
    " FROM (SELECT id, blocked_by FROM deliveries WHERE blocked_by = ANY($1::uuid[])"
    "     AND id <> ALL($1::uuid[]) ORDER BY id FOR UPDATE) AS l"
    " WHERE w.id = l.id AND w.status = 'pending' AND l.blocked_by IN (SELECT id FROM blockers)"
    " RETURNING w.id, l.blocked_by"
)


async def settle(conn: asyncpg.Connection, outcomes: Sequence[Settled]) -> list[tuple[UUID, UUID]]:
    """Record each attempt's outcome, in one statement; a row due again waits for the queue
    with enqueued_at NULL. Returns the rows that waited for these and may go now, each with
    the row it waited for; the caller sends them itself or wakes the queue (`wake_queue`).

    One statement, so nothing is released before its blocker is recorded. A row cancelled
    while its message was on the way stays cancelled unless it arrived.
    """
    if not outcomes:
        return []
    rows = await conn.fetch(
        _SETTLE,
        [o.id for o in outcomes],
        [o.status for o in outcomes],
        [o.delay for o in outcomes],
        [o.error for o in outcomes],
    )
    return [(row["id"], row["blocked_by"]) for row in rows]
