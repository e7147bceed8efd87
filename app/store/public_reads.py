"""What a published status page shows, read from projections only (never the event log)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from app.domain.catalog import StatusPage
from app.domain.public_page import PublicComponent, PublicEntry, PublicIncident, PublicPage
from app.domain.timeline import ComponentInterval, TimelineEntry
from app.store.catalog import page_from_row
from app.store.codec import decode_component_statuses
from app.store.page_status import page_status


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
    "SELECT max(updated_at) FROM incidents WHERE organization_id = $1"
    " AND published_at IS NOT NULL AND component_ids && $2::uuid[]"
)


async def last_change(conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage) -> datetime:
    """When anything the page shows last changed: the page itself or one of its incidents."""
    changed = await conn.fetchval(_LAST_CHANGE, page.organization_id, list(page.component_ids))
    return max(page.updated_at, changed or page.updated_at)


async def load_public_page(conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage) -> PublicPage:
    status = await page_status(conn, page.organization_id, page.component_ids)
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
    return PublicPage(page=page, status=status, components=components)


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
        " resolved_at FROM incidents"
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
    timelines = await _timelines(conn, [row["id"] for row in rows])
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
            entries=tuple(timelines.get(row["id"], ())),
        )
        for row in rows
    ]


# An incident's public timeline: its public updates with their bodies (none once redacted),
# and its internal updates that changed the status as bare transitions (app/domain/timeline.py).
_TIMELINES = (
    "SELECT u.incident_id, u.id, u.visibility, u.status, u.posted_at,"
    " u.component_statuses::text AS component_statuses, u.notify_subscribers,"
    " u.redacted_at IS NOT NULL AS redacted, b.body"
    " FROM incident_updates u LEFT JOIN update_bodies b"
    "  ON b.update_id = u.id AND u.visibility = 'public' AND u.redacted_at IS NULL"
    " WHERE u.incident_id = ANY($1::uuid[])"
    " AND (u.visibility = 'public' OR u.status_change IS NOT NULL)"
    " ORDER BY u.incident_id, u.version"
)


async def _timelines(
    conn: asyncpg.Pool | asyncpg.Connection, incident_ids: list[UUID]
) -> dict[UUID, list[PublicEntry]]:
    timelines: dict[UUID, list[PublicEntry]] = {}
    for row in await conn.fetch(_TIMELINES, incident_ids) if incident_ids else ():
        public = row["visibility"] == "public"
        entry = TimelineEntry(
            update_id=row["id"],
            kind="update" if public else "transition",
            status=row["status"],
            at=row["posted_at"],
            component_statuses=decode_component_statuses(row["component_statuses"])
            if public
            else (),
            notify_subscribers=row["notify_subscribers"] and public,
            redacted=row["redacted"],
        )
        shown = PublicEntry(entry=entry, body=row["body"])
        timelines.setdefault(row["incident_id"], []).append(shown)
    return timelines


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
