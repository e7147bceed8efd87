"""A command's writes in one statement: its events, update bodies and projection rows.

Data-modifying CTEs run in one round trip and in one transaction; the tables are written as
usual, so their constraints and triggers hold. A write conflict on the log fails the whole
statement, and nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from app.domain.events import Event
from app.store.codec import encode_event, encode_json, event_type
from app.store.event_store import (
    EventMetadata,
    RecordedEvent,
    recorded_events,
    stream_conflicts,
)
from app.store.idempotency import Keyed, KeyTaken, keyed_values
from app.store.projections import (
    INCIDENT_COLUMNS,
    INTERVAL_COLUMNS,
    UPDATE_COLUMNS,
    Rows,
)

# Columns an incident keeps from its first row: who and when it was opened.
_INCIDENT_FIXED = {"id", "organization_id", "owner_schedule_id", "opened_at"}
# The column types a batch of rows is sent as, one array per column.
_TYPES = {
    "id": "uuid",
    "incident_id": "uuid",
    "organization_id": "uuid",
    "component_id": "uuid",
    "posted_by_id": "uuid",
    "redacted_by_id": "uuid",
    "owner_schedule_id": "uuid",
    "component_ids": "uuid[]",
    "notify_subscribers": "boolean",
    "version": "integer",
    "component_statuses": "jsonb",
    "public_component_statuses": "jsonb",
    "snapshot": "jsonb",
}
_TIMES = {"posted_at", "redacted_at", "opened_at", "updated_at", "resolved_at", "published_at"}


def _type(column: str) -> str:
    if column in _TIMES or column.endswith(("started_at", "ended_at")):
        return "timestamptz"
    return _TYPES.get(column, "text")


def _statement() -> str:
    params = iter(range(1, 1000))

    def p(sql_type: str) -> str:
        return f"${next(params)}::{sql_type}"

    stream = p("uuid")
    expected = p("integer")
    append = (
        "INSERT INTO events (stream_id, version, type, data, metadata)"
        f" SELECT {stream}, {expected} + n, t, d::jsonb, {p('jsonb')}"
        f" FROM unnest({p('text[]')}, {p('text[]')}) WITH ORDINALITY AS e(t, d, n)"
        # A writer that read without the lock takes it before its first event, the order every
        # writer takes them in, so two writers never wait on each other both ways.
        f" LEFT JOIN LATERAL (SELECT FROM incidents WHERE id = {stream} FOR UPDATE) held ON true"
        " RETURNING position, version, recorded_at"
    )
    bodies = (
        "INSERT INTO update_bodies (update_id, incident_id, body)"
        f" SELECT u, {stream}, b FROM unnest({p('uuid[]')}, {p('text[]')}) AS x(u, b)"
    )
    erased = f"DELETE FROM update_bodies WHERE update_id = ANY({p('uuid[]')})"
    values = ", ".join(p(_type(c)) for c in INCIDENT_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in INCIDENT_COLUMNS if c not in _INCIDENT_FIXED)
    incident = (
        f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES ({values})"
        f" ON CONFLICT (id) DO UPDATE SET {sets}"
    )

    def insert_rows(table: str, columns: Sequence[str]) -> str:
        arrays = ", ".join(
            p("text[]") if _type(c) == "jsonb" else p(f"{_type(c)}[]") for c in columns
        )
        selected = ", ".join(f"{c}::jsonb" if _type(c) == "jsonb" else c for c in columns)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selected}"
            f" FROM unnest({arrays}) AS r({', '.join(columns)})"
        )

    updates = insert_rows("incident_updates", UPDATE_COLUMNS)
    redactions = (
        "UPDATE incident_updates u SET redacted_at = r.at, redacted_by_id = r.by_id,"
        " redacted_by_name = r.by_name"
        f" FROM unnest({p('uuid[]')}, {p('timestamptz[]')}, {p('uuid[]')}, {p('text[]')})"
        " AS r(id, at, by_id, by_name) WHERE u.id = r.id"
    )
    ends = (
        "UPDATE component_intervals c SET ended_at = r.at"
        f" FROM unnest({p('uuid[]')}, {p('timestamptz[]')}) AS r(component_id, at)"
        f" WHERE c.incident_id = {stream} AND c.component_id = r.component_id"
        " AND c.ended_at IS NULL"
    )
    intervals = insert_rows("component_intervals", INTERVAL_COLUMNS)
    organization, key = p("uuid"), p("text")
    # With an Idempotency-Key, its outcome; a live outcome stored meanwhile fails the statement.
    keyed = (
        "INSERT INTO idempotency_keys"
        " (organization_id, key, fingerprint, status, resource_id, error)"
        f" SELECT {organization}, {key}, {p('bytea')}, {p('integer')}, {p('uuid')}, {p('jsonb')}"
        f" WHERE {key} IS NOT NULL"
    )
    lock = p("text")
    released = f"SELECT pg_advisory_unlock(hashtextextended({lock}, 1)) WHERE {lock} IS NOT NULL"
    # The incident's row comes first: PostgreSQL locks a statement's tables in the order it
    # reads them, and incidents before events is the order every writer and a rebuild's swap
    # take them in, so none waits on another both ways.
    parts = {
        "incident": incident,
        "appended": append,
        "bodies": bodies,
        "erased": erased,
        "updates": updates,
        "redactions": redactions,
        "ends": ends,
        "intervals": intervals,
        "keyed": keyed,
        "released": released,
    }
    ctes = ", ".join(f"{name} AS ({sql})" for name, sql in parts.items())
    return (
        f"WITH {ctes} SELECT position, version, recorded_at FROM appended"
        " LEFT JOIN released ON true ORDER BY version"
    )


_COMMIT = _statement()
_UNKEYED = (None,) * 6


def _columns(rows: Sequence[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


async def commit(
    conn: asyncpg.Connection,
    stream_id: UUID,
    expected_version: int,
    events: Sequence[Event],
    metadata: EventMetadata,
    *,
    bodies: Sequence[tuple[UUID, str]],
    erased: Sequence[UUID],
    rows: Rows,
    keyed: Keyed | None,
) -> list[RecordedEvent]:
    """Append `events` after `expected_version` with their bodies and `rows`, and store the
    outcome `keyed` and let go of its key, in one round trip inside the caller's transaction."""
    try:
        with stream_conflicts(stream_id, expected_version):
            recorded = await conn.fetch(
                _COMMIT,
                stream_id,
                expected_version,
                encode_json(metadata),
                [event_type(e) for e in events],
                [encode_event(e) for e in events],
                *_columns(bodies, 2),
                list(erased),
                *rows.incident,
                *_columns(rows.updates, len(UPDATE_COLUMNS)),
                *_columns(rows.redactions, 4),
                *_columns(rows.interval_ends, 2),
                *_columns(rows.intervals, len(INTERVAL_COLUMNS)),
                *(_UNKEYED if keyed is None else keyed_values(keyed)),
                None if keyed is None else keyed.lock,
            )
    except asyncpg.UniqueViolationError as error:
        if error.table_name == "idempotency_keys":
            raise KeyTaken from error
        raise
    return recorded_events(stream_id, recorded, events)
