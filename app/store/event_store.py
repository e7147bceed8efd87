"""The append-only event log: read a stream, append to it with an expected version."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from app.domain.errors import DomainError
from app.domain.events import Event
from app.store.codec import decode_event, encode_event, encode_json, event_type


class ConcurrencyError(DomainError):
    """Another writer appended to the stream since it was read.

    Herald's own writers queue up on the lock of the incident's row (app/store/snapshot.py), so
    this is a writer that did not take it; sent again, the command is decided on the stream as
    it is now.
    """

    def __init__(self, stream_id: UUID, expected_version: int) -> None:
        super().__init__(
            "write_conflict",
            "Another change to this incident or maintenance was written at the same moment; send "
            "the request again.",
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


class EventMetadata(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: UUID | None = None
    request_id: str | None = None
    idempotency_key: str | None = None


class RecordedEvent(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    stream_id: UUID
    version: int
    event: Event
    recorded_at: datetime


async def lock_stream(conn: asyncpg.Connection, stream_id: UUID) -> None:
    """Queue writers of one stream behind each other until the caller's transaction ends.

    Taken before the stream is read, so a command decides on the state it will append to
    instead of failing on the unique constraint and retrying.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(stream_id))


async def read_stream(conn: asyncpg.Connection, stream_id: UUID) -> list[RecordedEvent]:
    rows = await conn.fetch(
        "SELECT position, version, data::text AS data, recorded_at"
        " FROM events WHERE stream_id = $1 ORDER BY version",
        stream_id,
    )
    return [
        RecordedEvent(
            position=row["position"],
            stream_id=stream_id,
            version=row["version"],
            event=decode_event(row["data"]),
            recorded_at=row["recorded_at"],
        )
        for row in rows
    ]


async def append(
    conn: asyncpg.Connection,
    stream_id: UUID,
    expected_version: int,
    events: Sequence[Event],
    metadata: EventMetadata,
) -> list[RecordedEvent]:
    """Append `events` after `expected_version` (0 for a new stream) in the caller's transaction."""
    if not events:
        return []
    meta = encode_json(metadata)
    with stream_conflicts(stream_id, expected_version):
        rows = await conn.fetch(
            "INSERT INTO events (stream_id, version, type, data, metadata)"
            " SELECT $1, $2 + n, t, d::jsonb, $5::jsonb"
            " FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS e(t, d, n)"
            " RETURNING position, version, recorded_at",
            stream_id,
            expected_version,
            [event_type(e) for e in events],
            [encode_event(e) for e in events],
            meta,
        )
    return recorded_events(stream_id, sorted(rows, key=lambda row: row["version"]), events)


@contextmanager
def stream_conflicts(stream_id: UUID, expected_version: int) -> Iterator[None]:
    """Around an append: the events' key refusing a version is a ConcurrencyError, the one
    spot the driver's error becomes the domain's; any other violation passes unchanged."""
    try:
        yield
    except asyncpg.UniqueViolationError as error:
        if error.table_name != "events":
            raise
        raise ConcurrencyError(stream_id, expected_version) from error


def recorded_events(
    stream_id: UUID, rows: Sequence[asyncpg.Record], events: Sequence[Event]
) -> list[RecordedEvent]:
    """The events as appended: `rows` carry position, version and recorded_at, in their order."""
    return [
        RecordedEvent(
            position=row["position"],
            stream_id=stream_id,
            version=row["version"],
            event=event,
            recorded_at=row["recorded_at"],
        )
        for row, event in zip(rows, events, strict=True)
    ]
