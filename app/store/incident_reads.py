"""Reads of the incident projections, always scoped to one organization."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from app.domain.events import UpdatePosted
from app.domain.values import (
    Actor,
    ComponentStatus,
    IncidentStatus,
    Severity,
    Visibility,
)
from app.store.codec import decode_component_statuses


class IncidentView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    component_ids: tuple[UUID, ...]
    component_statuses: tuple[ComponentStatus, ...]
    owner_schedule_id: UUID | None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


class UpdateView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    incident_id: UUID
    body: str | None
    status_change: IncidentStatus | None
    status: IncidentStatus  # the incident's, once this update was posted
    visibility: Visibility
    component_statuses: tuple[ComponentStatus, ...]
    notify_subscribers: bool
    posted_by: Actor
    posted_at: datetime
    redacted_at: datetime | None
    redacted_by: Actor | None


_INCIDENT_COLUMNS = (
    "id, organization_id, title, severity, status, component_ids,"
    " component_statuses::text AS component_statuses, owner_schedule_id, opened_at, updated_at,"
    " resolved_at"
)
_UPDATE_COLUMNS = (
    "u.id, u.incident_id, b.body, u.status_change, u.status, u.visibility,"
    " u.component_statuses::text AS component_statuses, u.notify_subscribers, u.posted_by_id,"
    " u.posted_by_name, u.posted_at, u.redacted_at, u.redacted_by_id, u.redacted_by_name"
    " FROM incident_updates u LEFT JOIN update_bodies b ON b.update_id = u.id"
)


def _incident(row: asyncpg.Record) -> IncidentView:
    return IncidentView(
        **{
            **dict(row),
            "component_ids": tuple(row["component_ids"]),
            "component_statuses": decode_component_statuses(row["component_statuses"]),
        }
    )


def _update(row: asyncpg.Record) -> UpdateView:
    redacted_by = (
        None
        if row["redacted_by_id"] is None
        else Actor(id=row["redacted_by_id"], name=row["redacted_by_name"])
    )
    return UpdateView(
        id=row["id"],
        incident_id=row["incident_id"],
        body=row["body"],
        status_change=row["status_change"],
        status=row["status"],
        visibility=row["visibility"],
        component_statuses=decode_component_statuses(row["component_statuses"]),
        notify_subscribers=row["notify_subscribers"],
        posted_by=Actor(id=row["posted_by_id"], name=row["posted_by_name"]),
        posted_at=row["posted_at"],
        redacted_at=row["redacted_at"],
        redacted_by=redacted_by,
    )


def posted_update(
    incident_id: UUID, posted: UpdatePosted, body: str | None, status: IncidentStatus
) -> UpdateView:
    """The update `posted` as `get_update` reads it back once written: the answer to the
    request that posted it, without that read."""
    return UpdateView(
        id=posted.update_id,
        incident_id=incident_id,
        body=body if posted.has_body else None,
        status_change=posted.status_change,
        status=status,
        visibility=posted.visibility,
        component_statuses=posted.component_statuses,
        notify_subscribers=posted.notify_subscribers,
        posted_by=posted.posted_by,
        posted_at=posted.at,
        redacted_at=None,
        redacted_by=None,
    )


async def get_incident(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, incident_id: UUID
) -> IncidentView | None:
    row = await conn.fetchrow(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE organization_id = $1 AND id = $2",
        organization_id,
        incident_id,
    )
    return None if row is None else _incident(row)


async def list_incidents(
    conn: asyncpg.Connection | asyncpg.Pool,
    organization_id: UUID,
    status: IncidentStatus | None,
    before: UUID | None,
    limit: int,
) -> list[IncidentView]:
    """Newest first: ids are UUIDv7, so id order is opening order."""
    rows = await conn.fetch(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE organization_id = $1"
        " AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3)"
        " ORDER BY id DESC LIMIT $4",
        organization_id,
        status,
        before,
        limit,
    )
    return [_incident(row) for row in rows]


async def get_update(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, update_id: UUID
) -> UpdateView | None:
    row = await conn.fetchrow(
        f"SELECT {_UPDATE_COLUMNS} WHERE u.organization_id = $1 AND u.id = $2",
        organization_id,
        update_id,
    )
    return None if row is None else _update(row)


async def list_updates(
    conn: asyncpg.Connection | asyncpg.Pool,
    organization_id: UUID,
    incident_id: UUID,
    after: UUID | None,
    limit: int,
) -> list[UpdateView]:
    """Oldest first, internal updates included: the team's own view."""
    rows = await conn.fetch(
        f"SELECT {_UPDATE_COLUMNS} WHERE u.organization_id = $1 AND u.incident_id = $2"
        " AND ($3::uuid IS NULL OR u.id > $3) ORDER BY u.id LIMIT $4",
        organization_id,
        incident_id,
        after,
        limit,
    )
    return [_update(row) for row in rows]
