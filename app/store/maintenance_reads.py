"""Reads of the maintenances projection, scoped to one organization, and what the clock is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from app.domain.maintenance import Maintenance
from app.domain.maintenance_events import MaintenanceStatus
from app.store.maintenances import decode_snapshot

Reader = asyncpg.Connection | asyncpg.Pool


async def get_maintenance(
    conn: Reader, organization_id: UUID, maintenance_id: UUID
) -> Maintenance | None:
    data = await conn.fetchval(
        "SELECT snapshot::text FROM maintenances WHERE organization_id = $1 AND id = $2",
        organization_id,
        maintenance_id,
    )
    return None if data is None else decode_snapshot(data).maintenance


async def list_maintenances(
    conn: Reader,
    organization_id: UUID,
    status: MaintenanceStatus | None,
    before: UUID | None,
    limit: int,
) -> list[Maintenance]:
    """Newest first: ids are UUIDv7, so id order is scheduling order."""
    rows = await conn.fetch(
        "SELECT snapshot::text AS snapshot FROM maintenances WHERE organization_id = $1"
        " AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3)"
        " ORDER BY id DESC LIMIT $4",
        organization_id,
        status,
        before,
        limit,
    )
    return [decode_snapshot(row["snapshot"]).maintenance for row in rows]


async def update_bodies(conn: Reader, update_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The bodies of these updates that exist (a redacted one's is gone)."""
    rows = await conn.fetch(
        "SELECT update_id, body FROM update_bodies WHERE update_id = ANY($1::uuid[])",
        list(update_ids),
    )
    return {row["update_id"]: row["body"] for row in rows}


async def due_to_start(conn: Reader, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
    """Maintenances set to start themselves whose window has begun, however long ago."""
    rows = await conn.fetch(
        "SELECT organization_id, id FROM maintenances"
        " WHERE status = 'scheduled' AND auto_start AND scheduled_for <= $1"
        " ORDER BY scheduled_for LIMIT $2",
        now,
        limit,
    )
    return [(row["organization_id"], row["id"]) for row in rows]


async def due_to_complete(conn: Reader, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
    """Maintenances set to complete themselves whose window has ended."""
    rows = await conn.fetch(
        "SELECT organization_id, id FROM maintenances"
        " WHERE status IN ('in_progress', 'verifying') AND auto_complete"
        " AND scheduled_until <= $1 ORDER BY scheduled_until LIMIT $2",
        now,
        limit,
    )
    return [(row["organization_id"], row["id"]) for row in rows]


async def due_to_remind(conn: Reader, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
    """Maintenances whose subscribers are owed a reminder now, their window not yet open."""
    rows = await conn.fetch(
        "SELECT organization_id, id FROM maintenances"
        " WHERE remind_at <= $1 AND scheduled_for > $1 ORDER BY remind_at LIMIT $2",
        now,
        limit,
    )
    return [(row["organization_id"], row["id"]) for row in rows]
