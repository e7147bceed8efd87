"""Read models written from the log in the same transaction as each append.

The incident row is the folded state plus what the public may see of it; update rows follow
their events; component intervals are recomputed from the stream. A rebuild replays each stream
through `project`, so a rebuilt table equals the live one.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from app.domain.events import (
    ComponentStatusesChanged,
    Event,
    IncidentEdited,
    IncidentOpened,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.incident import Incident
from app.domain.timeline import (
    component_intervals,
    first_public_update_at,
    public_timeline,
    status_after_updates,
)
from app.store.codec import encode_json


async def project(
    conn: asyncpg.Connection,
    incident: Incident,
    version: int,
    stream: Sequence[Event],
    new: Sequence[Event],
) -> None:
    """Bring the read models up to `incident` at `version`.

    `stream` is every event of the incident so far; `new` is its tail not yet projected.
    """
    await _save_incident(conn, incident, version, stream)
    status_after = status_after_updates(stream)
    for event in new:
        match event:
            case UpdatePosted():
                await conn.execute(
                    "INSERT INTO incident_updates (id, incident_id, organization_id, visibility,"
                    " status_change, status, component_statuses, notify_subscribers,"
                    " posted_by_id, posted_by_name, posted_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)",
                    event.update_id,
                    incident.id,
                    incident.organization_id,
                    event.visibility,
                    event.status_change,
                    status_after[event.update_id],
                    encode_json(event.component_statuses),
                    event.notify_subscribers,
                    event.posted_by.id,
                    event.posted_by.name,
                    event.at,
                )
            case UpdateRedacted():
                await conn.execute(
                    "UPDATE incident_updates SET redacted_at = $2, redacted_by_id = $3,"
                    " redacted_by_name = $4 WHERE id = $1",
                    event.update_id,
                    event.at,
                    event.redacted_by.id,
                    event.redacted_by.name,
                )
            case IncidentOpened() | IncidentEdited() | StatusChanged() | ComponentStatusesChanged():
                pass  # carried by the incident row and the intervals
    if any(isinstance(event, ComponentStatusesChanged | IncidentEdited) for event in new):
        await _save_intervals(conn, incident, stream)


async def _save_incident(
    conn: asyncpg.Connection, incident: Incident, version: int, stream: Sequence[Event]
) -> None:
    await conn.execute(
        "INSERT INTO incidents (id, organization_id, title, severity, status, component_ids,"
        " component_statuses, owner_schedule_id, version, opened_at, updated_at, resolved_at,"
        " published_at, public_timeline)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14::jsonb)"
        " ON CONFLICT (id) DO UPDATE SET title = excluded.title, severity = excluded.severity,"
        " status = excluded.status, component_ids = excluded.component_ids,"
        " component_statuses = excluded.component_statuses, version = excluded.version,"
        " updated_at = excluded.updated_at, resolved_at = excluded.resolved_at,"
        " published_at = excluded.published_at, public_timeline = excluded.public_timeline",
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
        first_public_update_at(stream),
        encode_json(public_timeline(stream)),
    )


async def _save_intervals(
    conn: asyncpg.Connection, incident: Incident, stream: Sequence[Event]
) -> None:
    await conn.execute("DELETE FROM component_intervals WHERE incident_id = $1", incident.id)
    await conn.executemany(
        "INSERT INTO component_intervals (incident_id, component_id, status, started_at, ended_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (incident.id, span.component_id, span.status, span.started_at, span.ended_at)
            for span in component_intervals(stream)
        ],
    )
