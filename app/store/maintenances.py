"""A maintenance's writes: its projected row (the snapshot a command starts from among its
columns), its events and update bodies, in one statement; and the read before it.

The same shape as an incident's path (app/store/commit.py, app/store/snapshot.py): one round
trip reads the snapshot with the catalog facts a rule needs, one statement writes everything,
and an append after a stale read fails as a write conflict on the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
import msgspec

from app.domain.maintenance import Maintenance
from app.domain.maintenance_events import MaintenanceEvent
from app.store.codec import encode_event, encode_json, event_type
from app.store.event_store import (
    EventMetadata,
    RecordedEvent,
    recorded_events,
    stream_conflicts,
)
from app.store.snapshot import LOAD

MAINTENANCE_COLUMNS = (
    "id",
    "organization_id",
    "title",
    "status",
    "component_ids",
    "scheduled_for",
    "scheduled_until",
    "auto_start",
    "auto_complete",
    "version",
    "created_at",
    "updated_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "remind_at",
    "snapshot",
)
_TYPES = {
    "id": "uuid",
    "organization_id": "uuid",
    "component_ids": "uuid[]",
    "auto_start": "boolean",
    "auto_complete": "boolean",
    "version": "integer",
    "snapshot": "jsonb",
    "title": "text",
    "status": "text",
}


class MaintenanceSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    maintenance: Maintenance


class MaintenanceRow(msgspec.Struct, frozen=True):
    """The projected row of one maintenance, in MAINTENANCE_COLUMNS order."""

    values: tuple


class LoadedMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    snapshot: MaintenanceSnapshot | None
    stale: bool  # the log holds events the snapshot lacks: fold the stream instead
    published_component_ids: frozenset[UUID]
    known_component_ids: frozenset[UUID]


# Sets and dicts in sorted order: a rebuilt snapshot equals the live one byte for byte.
_encoder = msgspec.json.Encoder(order="deterministic")
_decoder = msgspec.json.Decoder(MaintenanceSnapshot)
_LOCKED = LOAD.format(table="maintenances", lock="FOR UPDATE")
_UNLOCKED = LOAD.format(table="maintenances", lock="")


def decode_snapshot(data: str) -> MaintenanceSnapshot:
    return _decoder.decode(data)


def maintenance_row(maintenance: Maintenance, version: int) -> MaintenanceRow:
    """The row `maintenance` at `version` projects to: every writer's and the rebuild's."""
    snapshot = MaintenanceSnapshot(version=version, maintenance=maintenance)
    return MaintenanceRow(
        (
            maintenance.id,
            maintenance.organization_id,
            maintenance.title,
            maintenance.status,
            list(maintenance.component_ids),
            maintenance.scheduled_for,
            maintenance.scheduled_until,
            maintenance.auto_start,
            maintenance.auto_complete,
            version,
            maintenance.created_at,
            maintenance.updated_at,
            maintenance.started_at,
            maintenance.completed_at,
            maintenance.cancelled_at,
            maintenance.remind_at,
            _encoder.encode(snapshot).decode(),
        )
    )


async def load_maintenance(
    conn: asyncpg.Connection,
    maintenance_id: UUID,
    organization_id: UUID,
    *,
    lock: bool,
    published: bool = False,
    component_ids: tuple[UUID, ...] = (),
) -> LoadedMaintenance:
    """The snapshot of `maintenance_id` (None for a new stream), locked until the transaction
    ends with `lock`, with the catalog facts asked for, in one round trip."""
    row = await conn.fetchrow(
        _LOCKED if lock else _UNLOCKED,
        maintenance_id,
        organization_id,
        published,
        list(component_ids),
    )
    snapshot = decode_snapshot(row["snapshot"]) if row["snapshot"] else None
    behind = snapshot is not None and (row["version"] or 0) > snapshot.version
    return LoadedMaintenance(
        snapshot=snapshot,
        stale=behind or (snapshot is None and row["version"] is not None),
        published_component_ids=frozenset(row["published"] or ()),
        known_component_ids=frozenset(row["known"] or ()),
    )


def _type(column: str) -> str:
    return _TYPES.get(column, "timestamptz")


def _statement() -> str:
    params = iter(range(1, 100))

    def p(sql_type: str) -> str:
        return f"${next(params)}::{sql_type}"

    stream, expected, metadata = p("uuid"), p("integer"), p("jsonb")
    types, data = p("text[]"), p("text[]")
    body_ids, body_texts, erased = p("uuid[]"), p("text[]"), p("uuid[]")
    values = ", ".join(p(_type(c)) for c in MAINTENANCE_COLUMNS)
    sets = ", ".join(
        f"{c} = excluded.{c}"
        for c in MAINTENANCE_COLUMNS
        if c not in ("id", "organization_id", "created_at")
    )
    # The row comes first, then the log: the order an incident's writers and a rebuild's swap
    # take their locks in, so none waits on another both ways.
    parts = {
        "maintenance": f"INSERT INTO maintenances ({', '.join(MAINTENANCE_COLUMNS)})"
        f" VALUES ({values}) ON CONFLICT (id) DO UPDATE SET {sets}",
        "appended": "INSERT INTO events (stream_id, version, type, data, metadata)"
        f" SELECT {stream}, {expected} + n, t, d::jsonb, {metadata}"
        f" FROM unnest({types}, {data}) WITH ORDINALITY AS e(t, d, n)"
        f" LEFT JOIN LATERAL (SELECT FROM maintenances WHERE id = {stream} FOR UPDATE) held"
        " ON true RETURNING position, version, recorded_at",
        "bodies": "INSERT INTO update_bodies (update_id, incident_id, body)"
        f" SELECT u, {stream}, b FROM unnest({body_ids}, {body_texts}) AS x(u, b)",
        "erased": f"DELETE FROM update_bodies WHERE update_id = ANY({erased})",
    }
    ctes = ", ".join(f"{name} AS ({sql})" for name, sql in parts.items())
    return f"WITH {ctes} SELECT position, version, recorded_at FROM appended ORDER BY version"


_COMMIT = _statement()


async def commit_maintenance(
    conn: asyncpg.Connection,
    stream_id: UUID,
    expected_version: int,
    events: Sequence[MaintenanceEvent],
    metadata: EventMetadata,
    *,
    bodies: Sequence[tuple[UUID, str]],
    erased: Sequence[UUID],
    row: MaintenanceRow,
) -> list[RecordedEvent]:
    """Append `events` after `expected_version` with their bodies and the row they leave, in
    one round trip inside the caller's transaction."""
    with stream_conflicts(stream_id, expected_version):
        recorded = await conn.fetch(
            _COMMIT,
            stream_id,
            expected_version,
            encode_json(metadata),
            [event_type(e) for e in events],
            [encode_event(e) for e in events],
            [update_id for update_id, _ in bodies],
            [body for _, body in bodies],
            list(erased),
            *row.values,
        )
    return recorded_events(stream_id, recorded, events)


async def copy_maintenances(conn: asyncpg.Connection, rows: Sequence[MaintenanceRow]) -> None:
    """Write whole maintenances into a table that holds none of them yet: a rebuild's."""
    if rows:
        await conn.copy_records_to_table(
            "maintenances", columns=MAINTENANCE_COLUMNS, records=[row.values for row in rows]
        )
