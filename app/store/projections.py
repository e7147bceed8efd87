"""Read models written from the log in the same transaction as each append.

The incident row is the folded state plus what the public may see of it; update rows follow
their events; component intervals are recomputed from the stream. `rows_for` decides every
row, for both writers: `project` after each command and `copy_projected` in a rebuild, so a
rebuilt table equals the live one.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
import msgspec

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

_INCIDENT_COLUMNS = (
    "id",
    "organization_id",
    "title",
    "severity",
    "status",
    "component_ids",
    "component_statuses",
    "owner_schedule_id",
    "version",
    "opened_at",
    "updated_at",
    "resolved_at",
    "published_at",
    "public_timeline",
    "public_component_statuses",
)
_UPDATE_COLUMNS = (
    "id",
    "incident_id",
    "organization_id",
    "visibility",
    "status_change",
    "status",
    "component_statuses",
    "notify_subscribers",
    "posted_by_id",
    "posted_by_name",
    "posted_at",
    "redacted_at",
    "redacted_by_id",
    "redacted_by_name",
)
_INTERVAL_COLUMNS = ("incident_id", "component_id", "status", "started_at", "ended_at")
# Columns an incident keeps from its first row: who and when it was opened.
_INCIDENT_FIXED = {"id", "organization_id", "owner_schedule_id", "opened_at"}


class Rows(msgspec.Struct, frozen=True, kw_only=True):
    """What a tail of new events changes in the read models, as rows in column order."""

    incident: tuple
    updates: list[tuple]  # posted by the tail, already redacted if the tail redacts them too
    redactions: list[tuple]  # (update id, at, by id, by name) of updates posted before the tail
    intervals: list[tuple] | None  # the incident's every interval; None when the tail left them


def rows_for(
    incident: Incident, version: int, stream: Sequence[Event], new: Sequence[Event]
) -> Rows:
    """`stream` is every event of the incident so far; `new` is its tail not yet projected."""
    status_after = status_after_updates(stream)
    updates: dict[UUID, list] = {}
    redactions = []
    for event in new:
        match event:
            case UpdatePosted():
                updates[event.update_id] = [
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
                    None,
                    None,
                    None,
                ]
            case UpdateRedacted() if event.update_id in updates:
                updates[event.update_id][-3:] = [
                    event.at,
                    event.redacted_by.id,
                    event.redacted_by.name,
                ]
            case UpdateRedacted():
                redactions.append(
                    (event.update_id, event.at, event.redacted_by.id, event.redacted_by.name)
                )
            case IncidentOpened() | IncidentEdited() | StatusChanged() | ComponentStatusesChanged():
                pass  # carried by the incident row and the intervals
    intervals = None
    if any(isinstance(event, ComponentStatusesChanged | IncidentEdited) for event in new):
        intervals = [
            (incident.id, span.component_id, span.status, span.started_at, span.ended_at)
            for span in component_intervals(stream)
        ]
    return Rows(
        incident=(
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
            encode_json(incident.public_component_statuses),
        ),
        updates=[tuple(row) for row in updates.values()],
        redactions=redactions,
        intervals=intervals,
    )


def _insert(table: str, columns: Sequence[str]) -> str:
    values = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"


_UPSERT_INCIDENT = (
    _insert("incidents", _INCIDENT_COLUMNS)
    + " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _INCIDENT_COLUMNS if c not in _INCIDENT_FIXED)
)
_INSERT_UPDATE = _insert("incident_updates", _UPDATE_COLUMNS)
_REDACT_UPDATE = (
    "UPDATE incident_updates SET redacted_at = $2, redacted_by_id = $3, redacted_by_name = $4"
    " WHERE id = $1"
)
_INSERT_INTERVAL = _insert("component_intervals", _INTERVAL_COLUMNS)


async def project(
    conn: asyncpg.Connection,
    incident: Incident,
    version: int,
    stream: Sequence[Event],
    new: Sequence[Event],
) -> None:
    """Bring the read models up to `incident` at `version`, statement by statement (a command
    adds an event or two)."""
    changes = rows_for(incident, version, stream, new)
    await conn.execute(_UPSERT_INCIDENT, *changes.incident)
    if changes.updates:
        await conn.executemany(_INSERT_UPDATE, changes.updates)
    if changes.redactions:
        await conn.executemany(_REDACT_UPDATE, changes.redactions)
    if changes.intervals is not None:
        await conn.execute("DELETE FROM component_intervals WHERE incident_id = $1", incident.id)
        await conn.executemany(_INSERT_INTERVAL, changes.intervals)


async def copy_projected(conn: asyncpg.Connection, projected: Sequence[Rows]) -> None:
    """Write whole incidents (each projected from its first event) into tables that hold
    none of them yet, by COPY: a rebuild's many rows at once."""
    assert not any(item.redactions for item in projected), "whole streams redact their own rows"
    for table, columns, records in (
        ("incidents", _INCIDENT_COLUMNS, [item.incident for item in projected]),
        ("incident_updates", _UPDATE_COLUMNS, [r for item in projected for r in item.updates]),
        (
            "component_intervals",
            _INTERVAL_COLUMNS,
            [r for item in projected for r in item.intervals or ()],
        ),
    ):
        if records:
            await conn.copy_records_to_table(table, columns=columns, records=records)
