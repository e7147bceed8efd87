"""What a published status page shows, read from projections only (never the event log)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

from app.domain.catalog import StatusPage
from app.domain.maintenance_page import with_maintenance
from app.domain.page_status import worst_component_state
from app.domain.public_page import (
    PublicComponent,
    PublicEntry,
    PublicGroup,
    PublicIncident,
    PublicPage,
    positions,
)
from app.domain.timeline import ComponentInterval, TimelineEntry
from app.domain.uptime import IncidentSpan
from app.store.catalog import page_from_row
from app.store.codec import decode_component_statuses
from app.store.page_status import page_status
from app.store.public_maintenances import page_maintenances


async def find_published_page(
    conn: asyncpg.Pool | asyncpg.Connection, slug: str
) -> StatusPage | None:
    row = await conn.fetchrow("SELECT * FROM status_pages WHERE slug = $1 AND published", slug)
    return None if row is None else page_from_row(row)


async def moved_to(conn: asyncpg.Pool | asyncpg.Connection, slug: str) -> str | None:
    """The current slug of the published page that had `slug` before, if any."""
    return await conn.fetchval(
        "SELECT p.slug FROM status_page_slugs s JOIN status_pages p ON p.id = s.status_page_id"
        " WHERE s.slug = $1 AND p.published",
        slug,
    )


async def published_slugs(conn: asyncpg.Pool | asyncpg.Connection, organization: UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT slug FROM status_pages WHERE organization_id = $1 AND published ORDER BY slug",
        organization,
    )
    return [row["slug"] for row in rows]


# When an incident was last edited, from its own events along events_incident_edits; an edit's
# time is its event's, as an update's is.
_EDITED_AT = (
    "(SELECT max((e.data->>'at')::timestamptz) FROM events e"
    " WHERE e.stream_id = {incident} AND e.type = 'IncidentEdited')"
)
# What an incident `i` last showed: its latest public timeline entry, the latest redaction of
# a row the public sees, and its latest edit (title, severity and components are all public);
# never `updated_at` itself, which internal updates move too: when they happen is internal as
# well.
_SHOWN = (
    """
CROSS JOIN LATERAL (
    SELECT max(u.posted_at) AS at, max(u.redacted_at) AS redacted_at FROM incident_updates u
    WHERE u.incident_id = i.id AND (u.visibility = 'public' OR u.status_change IS NOT NULL)
) shown
CROSS JOIN LATERAL (SELECT """
    + _EDITED_AT.format(incident="i.id")
    + """ AS at) edited
"""
)
# Every event moves `updated_at`, so it bounds what an incident shows: a page's incidents are
# read most recently updated first, a batch at a time, until the rest cannot be later than the
# latest found (one batch, but for a page whose latest incidents changed only internally).
_LAST_CHANGES = (
    "SELECT i.id, i.updated_at, greatest(shown.at, shown.redacted_at, edited.at) AS shown FROM ("
    " SELECT id, updated_at FROM incidents"
    " WHERE organization_id = $1 AND published_at IS NOT NULL AND component_ids && $2::uuid[]"
    " AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4))"
    " ORDER BY updated_at DESC, id DESC LIMIT $5"
    ") latest JOIN incidents i ON i.id = latest.id"
    + _SHOWN
    + "ORDER BY i.updated_at DESC, i.id DESC"
)
_BATCH = 32
_INCIDENT_CHANGE = (
    "SELECT greatest(shown.at, shown.redacted_at, edited.at) AS shown FROM incidents i"
    + _SHOWN
    + "WHERE i.id = $3 AND i.organization_id = $1 AND i.published_at IS NOT NULL"
    " AND i.component_ids && $2::uuid[]"
)
_MAINTENANCES_CHANGE = (
    "SELECT max(updated_at) FROM maintenances WHERE organization_id = $1"
    " AND component_ids && $2::uuid[]"
)


async def last_change(conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage) -> datetime:
    """When anything the page shows last changed: the page itself, one of its incidents or one
    of its maintenances."""
    maintenances = await conn.fetchval(
        _MAINTENANCES_CHANGE, page.organization_id, list(page.component_ids)
    )
    latest = max(page.updated_at, maintenances or page.updated_at)
    after: tuple[datetime | None, UUID | None] = (None, None)
    while True:
        rows = await conn.fetch(
            _LAST_CHANGES, page.organization_id, list(page.component_ids), *after, _BATCH
        )
        latest = max([latest, *(row["shown"] for row in rows if row["shown"] is not None)])
        if len(rows) < _BATCH or rows[-1]["updated_at"] <= latest:
            return latest
        after = (rows[-1]["updated_at"], rows[-1]["id"])


async def incident_change(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage, incident: UUID
) -> datetime | None:
    """When what the page shows of `incident` (or the page itself) last changed; None unless
    the page shows that incident."""
    row = await conn.fetchrow(
        _INCIDENT_CHANGE, page.organization_id, list(page.component_ids), incident
    )
    if row is None:
        return None
    return max(page.updated_at, row["shown"] or page.updated_at)


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
    place = positions(page.component_ids, page.groups)
    components = tuple(
        PublicComponent(
            id=component_id,
            name=by_id[component_id]["name"],
            description=by_id[component_id]["description"],
            position=place[component_id],
            status=state,
            created_at=by_id[component_id]["created_at"],
        )
        for component_id, state in status.components
    )
    shown = {component.id: component for component in components}
    groups = tuple(
        PublicGroup(
            id=group.id,
            name=group.name,
            position=place[group.id],
            status=worst_component_state(shown[c].status for c in group.component_ids),
            components=tuple(shown[c] for c in group.component_ids),
        )
        for group in page.groups
    )
    return PublicPage(
        page=page,
        status=status,
        components=components,
        groups=groups,
        maintenances=maintenances,
    )


_INCIDENT_COLUMNS = (
    "SELECT id, title, severity, status, component_ids, opened_at, published_at,"
    " resolved_at, " + _EDITED_AT.format(incident="incidents.id") + " AS edited_at FROM incidents"
    " WHERE organization_id = $1 AND published_at IS NOT NULL AND component_ids && $2::uuid[]"
)


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
        _INCIDENT_COLUMNS + " AND (status <> 'resolved'"
        "      OR (NOT $4 AND ($3::timestamptz IS NULL OR resolved_at >= $3)))"
        " ORDER BY (status = 'resolved'), published_at DESC, id DESC LIMIT $5",
        page.organization_id,
        list(page.component_ids),
        resolved_since,
        open_only,
        limit,
    )
    return await _public_incidents(conn, page, rows)


async def page_incident(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage, incident_id: UUID
) -> PublicIncident | None:
    """One incident as the page shows it; None unless it is a public incident of the page."""
    rows = await conn.fetch(
        _INCIDENT_COLUMNS + " AND id = $3",
        page.organization_id,
        list(page.component_ids),
        incident_id,
    )
    found = await _public_incidents(conn, page, rows)
    return found[0] if found else None


async def incidents_published_between(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage, start: datetime, end: datetime
) -> list[PublicIncident]:
    """The page's public incidents first published in [start, end), newest first."""
    rows = await conn.fetch(
        _INCIDENT_COLUMNS + " AND published_at >= $3 AND published_at < $4"
        " ORDER BY published_at DESC, id DESC",
        page.organization_id,
        list(page.component_ids),
        start,
        end,
    )
    return await _public_incidents(conn, page, rows)


async def incident_months(conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage) -> list[date]:
    """The first day of each month (UTC) in which one of the page's incidents went public."""
    rows = await conn.fetch(
        "SELECT DISTINCT date_trunc('month', published_at AT TIME ZONE 'UTC')::date AS month"
        " FROM incidents WHERE organization_id = $1 AND published_at IS NOT NULL"
        " AND component_ids && $2::uuid[] ORDER BY month",
        page.organization_id,
        list(page.component_ids),
    )
    return [row["month"] for row in rows]


async def _public_incidents(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage, rows: list[asyncpg.Record]
) -> list[PublicIncident]:
    """Incident rows with their public timelines and the bodies the public may read."""
    if not rows:
        return []
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
            edited_at=row["edited_at"],
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


async def incident_spans(
    conn: asyncpg.Pool | asyncpg.Connection, page: StatusPage, since: datetime
) -> list[IncidentSpan]:
    """The page's public incidents open at some time since `since`, for the uptime bars."""
    rows = await conn.fetch(
        "SELECT id, title, component_ids, published_at AS started_at, resolved_at AS ended_at"
        " FROM incidents WHERE organization_id = $1 AND published_at IS NOT NULL"
        " AND component_ids && $2::uuid[] AND (resolved_at IS NULL OR resolved_at >= $3)",
        page.organization_id,
        list(page.component_ids),
        since,
    )
    return [
        IncidentSpan(**{**dict(row), "component_ids": tuple(row["component_ids"])}) for row in rows
    ]
