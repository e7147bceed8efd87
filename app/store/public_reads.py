"""What a published status page shows, read from projections only (never the event log)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from app.domain.catalog import StatusPage
from app.domain.maintenance_page import with_maintenance
from app.domain.public_page import PublicComponent, PublicEntry, PublicIncident, PublicPage
from app.domain.timeline import ComponentInterval, TimelineEntry
from app.store.catalog import page_from_row
from app.store.page_status import page_status
from app.store.public_maintenances import page_maintenances

_timeline_decoder = msgspec.json.Decoder(list[TimelineEntry])


async def find_published_page(
    conn: asyncpg.Pool | asyncpg.Connection, slug: str
) -> StatusPage | None:
    row = await conn.fetchrow("SELECT * FROM status_pages WHERE slug = $1 AND published", slug)
    return None if row is None else page_from_row(row)


async def published_slugs(conn: asyncpg.Pool | asyncpg.Connection, organization: UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT slug FROM status_pages WHERE organization_id = $1 AND published ORDER BY slug",
        organization,
    )
    return [row["slug"] for row in rows]


_LAST_CHANGE = (
    "SELECT greatest((SELECT max(updated_at) FROM incidents WHERE organization_id = $1"
    " AND published_at IS NOT NULL AND component_ids && $2::uuid[]),"
    " (SELECT max(updated_at) FROM maintenances WHERE organization_id = $1"
    " AND component_ids && $2::uuid[]))"
)


async def last_change(conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage) -> datetime:
    """When anything the page shows last changed: the page itself, one of its incidents or one
    of its maintenances."""
    changed = await conn.fetchval(_LAST_CHANGE, page.organization_id, list(page.component_ids))
    return max(page.updated_at, changed or page.updated_at)


async def load_public_page(conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage) -> PublicPage:
    maintenances = await page_maintenances(conn, page)
    status = with_maintenance(
        await page_status(conn, page.organization_id, page.component_ids), maintenances
    )
    rows = await conn.fetch(
        "SELECT id, name, description, created_at FROM components"
        " WHERE organization_id = $1 AND id = ANY($2::uuid[])",
        page.organization_id,
        list(page.component_ids),
    )
    by_id = {row["id"]: row for row in rows}
    components = tuple(
        PublicComponent(
            id=component_id,
            name=by_id[component_id]["name"],
            description=by_id[component_id]["description"],
            position=position,
            status=state,
            created_at=by_id[component_id]["created_at"],
        )
        for position, (component_id, state) in enumerate(status.components, start=1)
    )
    return PublicPage(page=page, status=status, components=components, maintenances=maintenances)


async def page_incidents(
    conn: asyncpg.Pool | asyncpg.Connection,
    page: StatusPage,
    *,
    resolved_since: datetime | None = None,
    open_only: bool = False,
    limit: int = 50,
) -> list[PublicIncident]:
    """Open public incidents of the page, newest first, then unless `open_only` the resolved
    ones (those resolved since `resolved_since` when given)."""
    rows = await conn.fetch(
        "SELECT id, title, severity, status, component_ids, opened_at, published_at,"
        " resolved_at, public_timeline::text AS public_timeline FROM incidents"
        " WHERE organization_id = $1 AND published_at IS NOT NULL"
        " AND component_ids && $2::uuid[]"
        " AND (status <> 'resolved'"
        "      OR (NOT $4 AND ($3::timestamptz IS NULL OR resolved_at >= $3)))"
        " ORDER BY (status = 'resolved'), published_at DESC, id DESC LIMIT $5",
        page.organization_id,
        list(page.component_ids),
        resolved_since,
        open_only,
        limit,
    )
    timelines = {row["id"]: _timeline_decoder.decode(row["public_timeline"]) for row in rows}
    wanted = [
        entry.update_id
        for entries in timelines.values()
        for entry in entries
        if entry.kind == "update" and not entry.redacted
    ]
    bodies = {
        row["update_id"]: row["body"]
        for row in await conn.fetch(
            "SELECT update_id, body FROM update_bodies WHERE update_id = ANY($1::uuid[])", wanted
        )
    }
    shown = set(page.component_ids)
    return [
        PublicIncident(
            id=row["id"],
            title=row["title"],
            severity=row["severity"],
            status=row["status"],
            opened_at=row["opened_at"],
            published_at=row["published_at"],
            resolved_at=row["resolved_at"],
            component_ids=tuple(cid for cid in row["component_ids"] if cid in shown),
            entries=tuple(
                PublicEntry(
                    entry=entry,
                    body=None
                    if entry.kind == "transition" or entry.redacted
                    else bodies.get(entry.update_id),
                )
                for entry in timelines[row["id"]]
            ),
        )
        for row in rows
    ]


async def component_history(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage, since: datetime
) -> dict[UUID, list[ComponentInterval]]:
    """Intervals of the page's components from public incidents that overlap `since` onwards."""
    rows = await conn.fetch(
        "SELECT c.component_id, c.status, c.started_at, c.ended_at FROM component_intervals c"
        " JOIN incidents i ON i.id = c.incident_id"
        " WHERE i.organization_id = $1 AND i.published_at IS NOT NULL"
        " AND c.component_id = ANY($2::uuid[]) AND (c.ended_at IS NULL OR c.ended_at >= $3)",
        page.organization_id,
        list(page.component_ids),
        since,
    )
    history: dict[UUID, list[ComponentInterval]] = {cid: [] for cid in page.component_ids}
    for row in rows:
        history[row["component_id"]].append(ComponentInterval(**dict(row)))
    return history
