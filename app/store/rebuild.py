"""Rebuild every projection from the log while the API keeps serving.

Fresh tables are built in a schema of their own, a batch of streams per transaction, so no long
transaction holds back readers of the log. Then appends are blocked for a moment: streams that
moved on meanwhile are replayed again, and the new tables replace the old ones in one
transaction, so readers never see a half-built projection and no command is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import asyncpg

from app.domain.incident import fold
from app.store.codec import decode_event
from app.store.event_store import RecordedEvent
from app.store.migrate import SCHEMA_PATH
from app.store.page_changes import CHANNEL as PAGES_CHANNEL
from app.store.page_changes import REBUILT
from app.store.projections import copy_projected, rows_for

PROJECTION_TABLES = ("incidents", "incident_updates", "component_intervals")
SHADOW = "herald_rebuild"
BEGIN, END = "-- projections:begin", "-- projections:end"


def projection_ddl() -> str:
    """The projection statements of schema.sql, the one source of their definition."""
    schema = SCHEMA_PATH.read_text()
    return schema[schema.index(BEGIN) + len(BEGIN) : schema.index(END)]


async def _replay(conn: asyncpg.Connection, stream_ids: list[UUID]) -> int:
    rows = await conn.fetch(
        "SELECT position, stream_id, version, data::text AS data, recorded_at FROM public.events"
        " WHERE stream_id = ANY($1::uuid[]) ORDER BY stream_id, version",
        stream_ids,
    )
    streams: dict[UUID, list[RecordedEvent]] = {}
    for row in rows:
        streams.setdefault(row["stream_id"], []).append(
            RecordedEvent(
                position=row["position"],
                stream_id=row["stream_id"],
                version=row["version"],
                event=decode_event(row["data"]),
                recorded_at=row["recorded_at"],
            )
        )
    projected = []
    for history in streams.values():
        events = [item.event for item in history]
        incident = fold(events)
        assert incident is not None
        projected.append(rows_for(incident, history[-1].version, events, events))
    await copy_projected(conn, projected)
    return len(rows)


async def rebuild_projections(
    conn: asyncpg.Connection,
    *,
    batch_size: int = 500,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Replay the whole log into fresh projections and swap them in; returns how many events
    the new projections reflect.

    `on_progress(events_done, events_total)` is called after each batch.
    """
    await conn.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE; CREATE SCHEMA {SHADOW}")
    # Unqualified names now mean the fresh tables; update_bodies still resolves to public.
    await conn.execute(f"SET search_path TO {SHADOW}, public")
    try:
        await conn.execute(projection_ddl())
        total = await conn.fetchval("SELECT count(*) FROM public.events")
        stream_ids = [
            row["stream_id"]
            for row in await conn.fetch(
                "SELECT stream_id FROM public.events WHERE version = 1 ORDER BY position"
            )
        ]
        done = 0
        for start in range(0, len(stream_ids), batch_size):
            async with conn.transaction():
                done += await _replay(conn, stream_ids[start : start + batch_size])
            on_progress(done, total)
        async with conn.transaction():
            # Waits for appends in flight and holds new ones until the swap commits; the
            # incidents first, as a command locks its incident's row before it appends.
            await conn.execute(
                "LOCK TABLE public.incidents IN EXCLUSIVE MODE;"
                " LOCK TABLE public.events IN SHARE MODE"
            )
            moved = [
                row["stream_id"]
                for row in await conn.fetch(
                    "SELECT e.stream_id FROM"
                    " (SELECT stream_id, max(version) AS version FROM public.events"
                    "  GROUP BY stream_id) e"
                    f" LEFT JOIN {SHADOW}.incidents i ON i.id = e.stream_id"
                    " WHERE i.version IS DISTINCT FROM e.version"
                )
            ]
            for table, column in (
                ("incidents", "id"),
                ("incident_updates", "incident_id"),
                ("component_intervals", "incident_id"),
            ):
                await conn.execute(
                    f"DELETE FROM {SHADOW}.{table} WHERE {column} = ANY($1::uuid[])", moved
                )
            await _replay(conn, moved)
            total = await conn.fetchval("SELECT count(*) FROM public.events")
            for table in PROJECTION_TABLES:
                await conn.execute(
                    f"DROP TABLE public.{table}; ALTER TABLE {SHADOW}.{table} SET SCHEMA public"
                )
            await conn.execute(f"DROP SCHEMA {SHADOW}")
            await conn.execute("SELECT pg_notify($1, $2)", PAGES_CHANNEL, REBUILT)
        on_progress(total, total)
        return total
    finally:
        await conn.execute("RESET search_path")
