"""Read models written from the log in the same transaction as each append.

The incident row is the folded state; update rows follow their events. Rebuilding replays each
stream through the same functions, so a rebuilt table equals the live one.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from app.domain.events import (
    ComponentStatusesChanged,
    IncidentEdited,
    IncidentOpened,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.incident import Incident
from app.store.codec import encode_json
from app.store.event_store import RecordedEvent


async def project(
    conn: asyncpg.Connection, incident: Incident, version: int, recorded: Sequence[RecordedEvent]
) -> None:
    """Bring the read models up to `incident` at `version`, having just seen `recorded`."""
    await _save_incident(conn, incident, version)
    for item in recorded:
        match item.event:
            case UpdatePosted() as event:
                await conn.execute(
                    "INSERT INTO incident_updates (id, incident_id, organization_id, visibility,"
                    " status_change, component_statuses, notify_subscribers, posted_by_id,"
                    " posted_by_name, posted_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)",
                    event.update_id,
                    incident.id,
                    incident.organization_id,
                    event.visibility,
                    event.status_change,
                    encode_json(event.component_statuses),
                    event.notify_subscribers,
                    event.posted_by.id,
                    event.posted_by.name,
                    event.at,
                )
            case UpdateRedacted() as event:
                await conn.execute(
                    "UPDATE incident_updates SET redacted_at = $2, redacted_by_id = $3,"
                    " redacted_by_name = $4 WHERE id = $1",
                    event.update_id,
                    event.at,
                    event.redacted_by.id,
                    event.redacted_by.name,
                )
            case IncidentOpened() | IncidentEdited() | StatusChanged() | ComponentStatusesChanged():
                pass  # carried by the incident row


async def _save_incident(conn: asyncpg.Connection, incident: Incident, version: int) -> None:
    await conn.execute(
        "INSERT INTO incidents (id, organization_id, title, severity, status, component_ids,"
        " component_statuses, owner_schedule_id, version, opened_at, updated_at, resolved_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12)"
        " ON CONFLICT (id) DO UPDATE SET title = excluded.title, severity = excluded.severity,"
        " status = excluded.status, component_ids = excluded.component_ids,"
        " component_statuses = excluded.component_statuses, version = excluded.version,"
        " updated_at = excluded.updated_at, resolved_at = excluded.resolved_at",
        incident.id,
        incident.organization_id,
        incident.title,
        incident.severity,
        incident.status,
        list(incident.component_ids),
        encode_json(incident.component_statuses),
        incident.owner_schedule_id,
        version,
        incident.opened_at,
        incident.updated_at,
        incident.resolved_at,
    )
