"""A command's writes in one statement: its events, update bodies and projection rows.

Data-modifying CTEs run in one round trip and in one transaction; the tables are written as
usual, so their constraints and triggers hold. A write conflict on the log fails the whole
statement, and nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
import msgspec

from app.domain.events import Event
from app.store.codec import encode_json, event_type
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
# The columns' SQL types, text unless named here.
_TYPES = {
    "id": "uuid",
    "update_id": "uuid",
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
_BODY_COLUMNS = ("update_id", "body")
_REDACTION_COLUMNS = ("id", "redacted_at", "redacted_by_id", "redacted_by_name")
_INTERVAL_END_COLUMNS = ("component_id", "ended_at")


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
    metadata = p("jsonb")
    # Every row set travels in one jsonb document, each row a JSON array in column order:
    # asyncpg checks and encodes an array parameter element by element, which cost the API
    # process more than the statement's work in PostgreSQL.
    document = p("jsonb")

    def rows(key: str, columns: Sequence[str]) -> str:
        fields = ", ".join(
            f"v -> {i} AS {c}" if _type(c) == "jsonb" else f"(v ->> {i})::{_type(c)} AS {c}"
            for i, c in enumerate(columns)
        )
        return f"(SELECT {fields} FROM jsonb_array_elements({document} -> '{key}') AS x(v))"

    append = (
        "INSERT INTO events (stream_id, version, type, data, metadata)"
        f" SELECT {stream}, {expected} + n, e ->> 0, e -> 1, {metadata}"
        f" FROM jsonb_array_elements({document} -> 'events') WITH ORDINALITY AS x(e, n)"
        # A writer that read without the lock takes it before its first event, the order every
        # writer takes them in, so two writers never wait on each other both ways.
        f" LEFT JOIN LATERAL (SELECT FROM incidents WHERE id = {stream} FOR UPDATE) held ON true"
        " RETURNING position, version, recorded_at"
    )
    bodies = (
        "INSERT INTO update_bodies (update_id, incident_id, body)"
        f" SELECT update_id, {stream}, body FROM {rows('bodies', _BODY_COLUMNS)} AS b"
    )
    # An array, not a join: the generic plan then finds the rows by their key, where a join
    # with a set of unknown size may read the whole table.
    erased = (
        "DELETE FROM update_bodies WHERE update_id = ANY(ARRAY("
        f"SELECT jsonb_array_elements_text({document} -> 'erased')::uuid))"
    )
    values = ", ".join(p(_type(c)) for c in INCIDENT_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in INCIDENT_COLUMNS if c not in _INCIDENT_FIXED)
    incident = (
        f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES ({values})"
        f" ON CONFLICT (id) DO UPDATE SET {sets}"
    )

    def insert_rows(table: str, key: str, columns: Sequence[str]) -> str:
        listed = ", ".join(columns)
        return f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {rows(key, columns)} AS r"

    updates = insert_rows("incident_updates", "updates", UPDATE_COLUMNS)
    redactions = (
        "UPDATE incident_updates u SET redacted_at = r.redacted_at,"
        " redacted_by_id = r.redacted_by_id, redacted_by_name = r.redacted_by_name"
        f" FROM {rows('redactions', _REDACTION_COLUMNS)} AS r WHERE u.id = r.id"
    )
    ends = (
        "UPDATE component_intervals c SET ended_at = r.ended_at"
        f" FROM {rows('interval_ends', _INTERVAL_END_COLUMNS)} AS r"
        f" WHERE c.incident_id = {stream} AND c.component_id = r.component_id"
        " AND c.ended_at IS NULL"
    )
    intervals = insert_rows("component_intervals", "intervals", INTERVAL_COLUMNS)
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
# An update row's jsonb columns hold JSON text, embedded in the document as it is.
_UPDATE_JSON = frozenset(i for i, c in enumerate(UPDATE_COLUMNS) if _type(c) == "jsonb")


def _update_row(row: tuple) -> list:
    return [msgspec.Raw(v) if i in _UPDATE_JSON else v for i, v in enumerate(row)]


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
    document = {
        "events": [(event_type(e), e) for e in events],
        "bodies": bodies,
        "erased": erased,
        "updates": [_update_row(row) for row in rows.updates],
        "redactions": rows.redactions,
        "interval_ends": rows.interval_ends,
        "intervals": rows.intervals,
    }
    try:
        with stream_conflicts(stream_id, expected_version):
            recorded = await conn.fetch(
                _COMMIT,
                stream_id,
                expected_version,
                encode_json(metadata),
                encode_json(document),
                *rows.incident,
                *(_UNKEYED if keyed is None else keyed_values(keyed)),
                None if keyed is None else keyed.lock,
            )
    except asyncpg.UniqueViolationError as error:
        if error.table_name == "idempotency_keys":
            raise KeyTaken from error
        raise
    return recorded_events(stream_id, recorded, events)
