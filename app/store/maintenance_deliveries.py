"""Delivery rows for a maintenance's notices, and what a job reads to send one.

A notice is one event of the maintenance's stream (scheduled, rescheduled, reminded, started,
completed, cancelled); each subscriber it concerns is owed one message per notice, keyed by
the event and the subscriber, so a second dispatch of the same event adds none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from app.domain.catalog import StatusPage
from app.domain.maintenance import Maintenance, fold
from app.domain.maintenance_page import PublicMaintenance, public_maintenance, public_update_ids
from app.ids import new_id
from app.store.deliveries import QUEUED, Written, next_chunk, written
from app.store.event_store import read_stream
from app.store.maintenance_reads import update_bodies

# The events subscribers hear of, by their type in the log.
NOTICES = frozenset(
    {
        "MaintenanceScheduled",
        "MaintenanceRescheduled",
        "MaintenanceReminded",
        "MaintenanceStarted",
        "MaintenanceCompleted",
        "MaintenanceCancelled",
    }
)
CANCELLED = "MaintenanceCancelled"


def notice_key(event_position: int, subscriber_id: UUID) -> str:
    """The same for every attempt at one notice to one subscriber, however batched."""
    return hashlib.sha256(f"maintenance:{event_position}:{subscriber_id}".encode()).hexdigest()[:32]


async def maintenance_as_of(
    conn: asyncpg.Connection, maintenance_id: UUID, position: int
) -> Maintenance:
    """The maintenance as the event at `position` left it, however late this is read."""
    history = await read_stream(conn, maintenance_id)
    maintenance = fold(item.event for item in history if item.position <= position)  # type: ignore[misc]
    assert maintenance is not None
    return maintenance


_INSERT = (
    "INSERT INTO deliveries (id, idempotency_key, organization_id, status_page_id,"
    " subscriber_id, kind, event_position, maintenance_id, max_attempts, enqueued_at)"
    " SELECT u.id, u.key, $1, u.page_id, u.subscriber_id, 'maintenance', $2, $3, $4, now()"
    " FROM unnest($5::uuid[], $6::text[], $7::uuid[], $8::uuid[])"
    " AS u(id, key, page_id, subscriber_id)"
    " ON CONFLICT (idempotency_key) DO NOTHING" + QUEUED
)


_TOLD_OF_IT = (
    "SELECT DISTINCT s.id, s.status_page_id FROM deliveries d"
    " JOIN subscribers s ON s.id = d.subscriber_id"
    " WHERE d.maintenance_id = $1 AND d.status = 'delivered' AND s.removed_at IS NULL"
)
_CONCERNED = (  # each page's subscribers read from $4 on, $5 at most (see next_chunk)
    "SELECT s.id, s.status_page_id FROM status_pages p CROSS JOIN LATERAL"
    " (SELECT s.id, s.status_page_id FROM subscribers s"
    "     WHERE s.status_page_id = p.id AND s.id > $4"
    "     AND s.removed_at IS NULL AND s.confirmed_at <= $3 AND s.notify_maintenances"
    "     AND (s.component_ids = '{}' OR s.component_ids && $2::uuid[])"
    "     ORDER BY s.id LIMIT $5) s"
    " WHERE p.organization_id = $1 AND p.published AND p.component_ids && $2::uuid[]"
)


async def create_maintenance_deliveries(
    conn: asyncpg.Connection,
    *,
    event_position: int,
    event_type: str,
    maintenance: Maintenance,
    recorded_at: datetime,
    after: UUID | None,
    max_attempts: int,
) -> Written:
    """One row per subscriber the notice concerns, for the next chunk of them past `after`:
    those of a published page showing one of the maintenance's components, whose filter (if
    any) meets them, confirmed before the event was recorded. A cancellation goes only to those
    who were told of the maintenance, and what was still owed of it is not sent any more."""
    if event_type == CANCELLED:
        if after is None:  # past the first chunk, what is pending of it is this very notice
            await conn.execute(
                "UPDATE deliveries SET status = 'cancelled', lease_until = NULL"
                " WHERE id IN (SELECT id FROM deliveries WHERE maintenance_id = $1"
                "     AND status = 'pending' ORDER BY id FOR UPDATE) AND status = 'pending'",
                maintenance.id,
            )
        query, args = _TOLD_OF_IT, (maintenance.id,)
    else:
        query = _CONCERNED
        args = (maintenance.organization_id, list(maintenance.component_ids), recorded_at)
    subscribers = await next_chunk(conn, query, *args, after=after)
    rows = []
    if subscribers:
        rows = await conn.fetch(
            _INSERT,
            maintenance.organization_id,
            event_position,
            maintenance.id,
            max_attempts,
            [new_id() for _ in subscribers],
            [notice_key(event_position, row["id"]) for row in subscribers],
            [row["status_page_id"] for row in subscribers],
            [row["id"] for row in subscribers],
        )
    return written(subscribers, rows)


class MaintenanceNotice(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # the event's type, one of NOTICES
    maintenance: Maintenance  # as the event left it
    bodies: dict[UUID, str]  # of its public updates

    def on_page(self, page: StatusPage) -> PublicMaintenance:
        return public_maintenance(self.maintenance, page.component_ids, self.bodies)


async def load_maintenance_notices(
    conn: asyncpg.Connection, delivery_ids: Sequence[UUID]
) -> dict[UUID, MaintenanceNotice]:
    """The notice each of these delivery rows owes, by row id."""
    rows = await conn.fetch(
        "SELECT d.id, d.maintenance_id, e.type, e.position FROM deliveries d"
        " JOIN events e ON e.position = d.event_position WHERE d.id = ANY($1::uuid[])",
        list(delivery_ids),
    )
    notices: dict[tuple[UUID, int], MaintenanceNotice] = {}
    found = {}
    for row in rows:
        key = (row["maintenance_id"], row["position"])
        if key not in notices:
            maintenance = await maintenance_as_of(conn, *key)
            bodies = await update_bodies(conn, public_update_ids(maintenance))
            notices[key] = MaintenanceNotice(
                kind=row["type"], maintenance=maintenance, bodies=bodies
            )
        found[row["id"]] = notices[key]
    return found
