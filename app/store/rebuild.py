"""Rebuild every projection from the log while the API keeps serving.

Fresh tables are built in a schema of their own. The log is read in (stream, version) order,
a page of events per statement, so no long transaction holds back readers of the log and only
one stream at a time is folded in memory; the rows `rows_for` gives each stream are written by
COPY, many streams at once, into tables whose indexes are built once they are full. Streams
that moved on meanwhile (events committed after the rebuild's first snapshot) are replayed
again, once without blocking anyone and then with appends blocked for a moment, and the new
tables replace the old ones in one transaction (`_swap`): readers never see a half-built
projection and no command is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from app.store.codec import decode_events
from app.store.maintenances import MaintenanceRow
from app.store.migrate import SCHEMA_PATH
from app.store.page_changes import CHANNEL as PAGES_CHANNEL
from app.store.page_changes import REBUILT
from app.store.projections import Rows
from app.store.stream_rows import copy_streams, project_stream

SHADOW = "herald_rebuild"
BEGIN, END = "-- projections:begin", "-- projections:end"
READ_AT_ONCE = 20_000  # events per statement reading the log
WRITE_AT_ONCE = 50_000  # events whose rows go in one COPY per table
YIELD_EVERY = 200  # streams folded between two looks at the connections
_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_NIL = UUID(int=0)


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Reference counting alone frees what a replay makes (pages of text, frozen events,
    rows: none holds a cycle), while the cyclic collector would walk every page and batch in
    flight again each time a quarter of them is new: a third of the replay's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _microseconds(at: datetime) -> tuple[int]:
    return ((at - _PG_EPOCH) // _MICROSECOND,)


def _timestamp(microseconds: tuple[int]) -> datetime:
    # A codec takes both directions; a replay's writer reads no timestamp.
    return _PG_EPOCH + microseconds[0] * _MICROSECOND


@contextlib.asynccontextmanager
async def _timestamps_as_microseconds(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """COPY hands asyncpg the timestamps as microseconds since PostgreSQL's epoch (its tuple
    format): a replay writes about one an event, and asyncpg's own encoder spends 0.66 us on
    each (it compares them with its infinities, which the log never holds, and converts them
    to UTC), a subtraction and a division 0.30 us."""
    await conn.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=_microseconds,
        decoder=_timestamp,
        format="tuple",
    )
    try:
        yield
    finally:
        await conn.reset_type_codec("timestamptz", schema="pg_catalog")


def projection_ddl() -> str:
    """The projection statements of schema.sql, the one source of their definition."""
    schema = SCHEMA_PATH.read_text()
    return schema[schema.index(BEGIN) + len(BEGIN) : schema.index(END)]


# Every table the projection DDL creates, in its order: what a rebuild builds and swaps in.
PROJECTION_TABLES = tuple(_TABLE.findall(projection_ddl()))


def _statements(ddl: str) -> tuple[list[str], list[str]]:
    """The DDL split into what creates tables and what creates indexes on them."""
    lines = [line for line in ddl.splitlines() if not line.lstrip().startswith("--")]
    statements = [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    indexes = [s for s in statements if re.match(r"CREATE (UNIQUE )?INDEX", s)]
    return [s for s in statements if s not in indexes], indexes


# A stream as the rebuild reads it: the JSON array of its events in order and the version of
# the last. Decoded only when folded, so that a page waiting in the queue is a few strings
# rather than many objects.
Stream = tuple[str, int]

# One row per stream, its events in one JSON array: decoding that is one call into msgspec
# for the whole stream, where a row per event costs a record and a call each.
_PAGE = (
    "SELECT stream_id, max(version) AS last,"
    " '[' || string_agg(data::text, ',' ORDER BY version) || ']' AS data"
    " FROM (SELECT stream_id, version, data FROM public.events"
    "  WHERE (stream_id, version) > ($1, $2) ORDER BY stream_id, version LIMIT $3) AS page"
    " GROUP BY stream_id ORDER BY stream_id"
)
_STREAMS = (
    "SELECT stream_id, max(version) AS last,"
    " '[' || string_agg(data::text, ',' ORDER BY version) || ']' AS data"
    " FROM public.events WHERE stream_id = ANY($1::uuid[]) GROUP BY stream_id"
)


async def _pages(
    conn: asyncpg.Connection, page: int, turn: asyncio.Lock
) -> AsyncIterator[list[Stream]]:
    """Whole streams in (stream, version) order, about a page of events at a time; a stream
    cut by the end of a page is held back and completed by the next one."""
    after = (_NIL, 0)
    held: tuple[UUID, str, int] | None = None
    while True:
        async with turn:
            rows = await conn.fetch(_PAGE, *after, page)
        if not rows:
            if held:
                yield [(held[1], held[2])]
            return
        after = (rows[-1]["stream_id"], rows[-1]["last"])
        whole: list[Stream] = []
        for row in rows:
            array = row["data"]
            if held and held[0] == row["stream_id"]:
                array = f"{held[1][:-1]},{array[1:]}"  # one array of both pages' parts
            elif held:
                whole.append((held[1], held[2]))
            held = (row["stream_id"], array, row["last"])
        if whole:
            yield whole


async def _streams(
    conn: asyncpg.Connection, page: int, turn: asyncio.Lock, streams: Sequence[UUID]
) -> AsyncIterator[list[Stream]]:
    """Only these streams, whole, about a page of events at a time."""
    for start in range(0, len(streams), max(1, page // 10)):
        async with turn:
            rows = await conn.fetch(_STREAMS, list(streams[start : start + max(1, page // 10)]))
        yield [(row["data"], row["last"]) for row in rows]


async def _replay(
    reader: asyncpg.Connection,
    writer: asyncpg.Connection,
    page: int,
    streams: Sequence[UUID] | None = None,
    on_page: Callable[[int], None] = lambda events: None,
) -> None:
    """Read, fold and write side by side: the next page is on its way and the last batch of
    rows is being copied while this process folds, so the time is about the longest of the
    three rather than their sum. Two pages and two batches at most are held at a time."""
    read_turn = asyncio.Lock()
    write_turn = read_turn if writer is reader else asyncio.Lock()
    fetched: asyncio.Queue[list[Stream] | None] = asyncio.Queue(maxsize=1)
    folded: asyncio.Queue[list[Rows | MaintenanceRow] | None] = asyncio.Queue(maxsize=1)

    async def read() -> None:
        if streams is None:
            pages = _pages(reader, page, read_turn)
        else:
            pages = _streams(reader, page, read_turn, streams)
        async for whole in pages:
            await fetched.put(whole)
        await fetched.put(None)

    async def write() -> None:
        while (projected := await folded.get()) is not None:
            async with write_turn:
                await copy_streams(writer, projected)

    async with asyncio.TaskGroup() as group:
        group.create_task(read())
        group.create_task(write())
        projected: list[Rows | MaintenanceRow] = []
        held = 0
        while (whole := await fetched.get()) is not None:
            events_in_page = 0
            for n, (array, version) in enumerate(whole, 1):
                events = decode_events(array)
                projected.append(project_stream(events, version))
                events_in_page += len(events)
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the connections take in and send out rows
            held += events_in_page
            if held >= WRITE_AT_ONCE:
                await folded.put(projected)
                projected, held = [], 0
            on_page(events_in_page)
        await folded.put(projected)
        await folded.put(None)


async def _moved_since(conn: asyncpg.Connection, snapshot: str) -> list[UUID]:
    """Streams with events committed after `snapshot` was taken."""
    rows = await conn.fetch(
        "SELECT DISTINCT stream_id FROM public.events"
        " WHERE transaction_id >= pg_snapshot_xmin($1::text::pg_snapshot)"
        " AND NOT pg_visible_in_snapshot(transaction_id, $1::text::pg_snapshot)",
        snapshot,
    )
    return [row["stream_id"] for row in rows]


async def _forget(conn: asyncpg.Connection, streams: list[UUID]) -> None:
    """Delete the fresh tables' rows of these streams: each table names its incident in
    `incident_id`, or is keyed by it in `id`."""
    if not streams:
        return
    for table in PROJECTION_TABLES:
        columns = {
            row["column_name"]
            for row in await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = $1 AND table_name = $2",
                SHADOW,
                table,
            )
        }
        column = "incident_id" if "incident_id" in columns else "id"
        await conn.execute(
            f"DELETE FROM {SHADOW}.{table} WHERE {column} = ANY($1::uuid[])", streams
        )


async def _catch_up(conn: asyncpg.Connection, snapshot: str, page: int) -> str:
    """Replay the streams moved since `snapshot`; returns the snapshot this went by."""
    now = await conn.fetchval("SELECT pg_current_snapshot()::text")
    moved = await _moved_since(conn, snapshot)
    await _forget(conn, moved)
    if moved:
        await _replay(conn, conn, page, moved)
    return now


async def _swap(conn: asyncpg.Connection) -> None:
    """The fresh tables replace the live ones; inside the caller's transaction."""
    for table in PROJECTION_TABLES:
        await conn.execute(
            f"DROP TABLE public.{table}; ALTER TABLE {SHADOW}.{table} SET SCHEMA public"
        )
    await conn.execute(f"DROP SCHEMA {SHADOW}")


async def rebuild_projections(
    conn: asyncpg.Connection,
    *,
    another: Callable[[], AbstractAsyncContextManager[asyncpg.Connection]] | None = None,
    batch_size: int = READ_AT_ONCE,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Replay the whole log into fresh projections and swap them in; returns how many events
    the new projections reflect. `batch_size` events are read per statement.

    `another()` opens a second connection to the same database: with it, rows are written
    while the log is read on `conn`, and PostgreSQL does both at once.
    `on_progress(events_done, events_total)` is called after each page of the log.
    """
    with _without_cycle_collection():
        return await _rebuild(conn, another, batch_size, on_progress)


async def _rebuild(
    conn: asyncpg.Connection,
    another: Callable[[], AbstractAsyncContextManager[asyncpg.Connection]] | None,
    batch_size: int,
    on_progress: Callable[[int, int], None],
) -> int:
    await conn.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE; CREATE SCHEMA {SHADOW}")
    # Unqualified names now mean the fresh tables; update_bodies still resolves to public.
    await conn.execute(f"SET search_path TO {SHADOW}, public")
    try:
        tables, indexes = _statements(projection_ddl())
        for statement in tables:
            await conn.execute(statement)
        # Events committed after this are replayed again by the catch-up below.
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        # An estimate for the progress bar: counting a large log exactly takes a while.
        total = await conn.fetchval(
            "SELECT greatest(reltuples::bigint, 0) FROM pg_class"
            " WHERE oid = 'public.events'::regclass"
        )
        done = 0

        def on_page(events: int) -> None:
            nonlocal done, total
            done += events
            total = max(total, done)
            on_progress(done, total)

        async with contextlib.AsyncExitStack() as stack:
            writer = conn
            if another is not None:
                writer = await stack.enter_async_context(another())
                await writer.execute(f"SET search_path TO {SHADOW}, public")
            await stack.enter_async_context(_timestamps_as_microseconds(writer))
            await _replay(conn, writer, batch_size, on_page=on_page)
        for statement in indexes:
            await conn.execute(statement)
        snapshot = await _catch_up(conn, snapshot, batch_size)
        async with conn.transaction():
            # Waits for appends in flight and holds new ones until the swap commits; the
            # streams' rows first, as a command locks its stream's row before it appends.
            await conn.execute(
                "LOCK TABLE public.incidents, public.maintenances IN EXCLUSIVE MODE;"
                " LOCK TABLE public.events IN SHARE MODE"
            )
            await _catch_up(conn, snapshot, batch_size)
            # Versions count from 1 without gaps: their sum is the events replayed.
            total = await conn.fetchval(
                f"SELECT (SELECT coalesce(sum(version), 0) FROM {SHADOW}.incidents)"
                f" + (SELECT coalesce(sum(version), 0) FROM {SHADOW}.maintenances)"
            )
            await _swap(conn)
            await conn.execute("SELECT pg_notify($1, $2)", PAGES_CHANNEL, REBUILT)
        on_progress(total, total)
        return total
    finally:
        await conn.execute("RESET search_path")
