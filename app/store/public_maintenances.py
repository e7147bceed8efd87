"""The scheduled maintenances a published status page shows, read from their projection."""

from __future__ import annotations

import asyncpg

from app.domain.catalog import StatusPage
from app.domain.maintenance_page import PublicMaintenance, public_maintenance, public_update_ids
from app.store.maintenance_reads import update_bodies
from app.store.maintenances import decode_snapshot

# As far back as the uptime bars reach, so completed maintenances still colour them.
_SHOWN = (
    "SELECT snapshot::text AS snapshot FROM maintenances"
    " WHERE organization_id = $1 AND component_ids && $2::uuid[] AND status <> 'cancelled'"
    " AND (completed_at IS NULL OR completed_at >= now() - interval '91 days')"
    " ORDER BY scheduled_for, id"
)


async def page_maintenances(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage
) -> tuple[PublicMaintenance, ...]:
    """The page's maintenances, not cancelled, soonest window first, with their public
    timelines; two queries, the second only when one has a public update."""
    rows = await conn.fetch(_SHOWN, page.organization_id, list(page.component_ids))
    maintenances = [decode_snapshot(row["snapshot"]).maintenance for row in rows]
    wanted = [uid for m in maintenances for uid in public_update_ids(m)]
    bodies = await update_bodies(conn, wanted) if wanted else {}
    return tuple(public_maintenance(m, page.component_ids, bodies) for m in maintenances)
