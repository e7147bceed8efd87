"""The event store contract against real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from app.domain.events import IncidentEdited, IncidentOpened
from app.domain.values import Actor
from app.store.event_store import (
    ConcurrencyError,
    EventMetadata,
    append,
    lock_stream,
    read_stream,
)

ALICE = Actor(id=uuid.UUID(int=1), name="Alice Chen")
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
META = EventMetadata(actor_id=ALICE.id, request_id="req_test")


def opened(stream: uuid.UUID) -> IncidentOpened:
    return IncidentOpened(
        incident_id=stream,
        organization_id=uuid.UUID(int=2),
        title="Payments elevated error rate",
        severity="critical",
        component_ids=(uuid.UUID(int=3),),
        opened_by=ALICE,
        at=AT,
    )


def edited(title: str) -> IncidentEdited:
    return IncidentEdited(title=title, edited_by=ALICE, at=AT)


async def test_appended_events_read_back_in_order(pool: asyncpg.Pool) -> None:
    stream = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        recorded = await append(conn, stream, 0, [opened(stream), edited("Payments down")], META)
    assert [r.version for r in recorded] == [1, 2]
    async with pool.acquire() as conn:
        history = await read_stream(conn, stream)
        meta = await conn.fetchval("SELECT metadata->>'request_id' FROM events LIMIT 1")
    assert [h.event for h in history] == [opened(stream), edited("Payments down")]
    assert history[0].position < history[1].position
    assert meta == "req_test"


async def test_append_at_a_stale_version_is_a_concurrency_error(pool: asyncpg.Pool) -> None:
    stream = uuid.uuid4()
    async with pool.acquire() as conn:
        await append(conn, stream, 0, [opened(stream)], META)
        with pytest.raises(ConcurrencyError):
            await append(conn, stream, 0, [edited("late writer")], META)
        history = await read_stream(conn, stream)
    assert [h.event for h in history] == [opened(stream)]


async def test_a_failed_append_leaves_nothing_behind(pool: asyncpg.Pool) -> None:
    stream = uuid.uuid4()
    async with pool.acquire() as conn:
        await append(conn, stream, 0, [opened(stream)], META)
        # The second event collides; the first of the batch must not land either.
        with pytest.raises(ConcurrencyError):
            await append(conn, stream, 0, [edited("a"), edited("b")], META)
        assert len(await read_stream(conn, stream)) == 1


async def test_fifty_concurrent_writers_queue_up_with_gapless_versions(
    pool: asyncpg.Pool,
) -> None:
    stream = uuid.uuid4()
    async with pool.acquire() as conn:
        await append(conn, stream, 0, [opened(stream)], META)

    async def write(n: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await lock_stream(conn, stream)
            version = len(await read_stream(conn, stream))
            await asyncio.sleep(0)  # let the others pile up behind the lock
            await append(conn, stream, version, [edited(f"title {n}")], META)

    await asyncio.gather(*(write(n) for n in range(50)))
    async with pool.acquire() as conn:
        history = await read_stream(conn, stream)
    assert [h.version for h in history] == list(range(1, 52))
    assert {h.event.title for h in history[1:]} == {f"title {n}" for n in range(50)}


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET type = 'Tampered'", "DELETE FROM events", "TRUNCATE events"],
)
async def test_the_database_refuses_to_change_the_log(pool: asyncpg.Pool, statement: str) -> None:
    stream = uuid.uuid4()
    async with pool.acquire() as conn:
        await append(conn, stream, 0, [opened(stream)], META)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(statement)
        assert [h.event for h in await read_stream(conn, stream)] == [opened(stream)]


async def test_events_never_hold_update_bodies(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        columns = {
            row["column_name"]
            for row in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'"
            )
        }
    assert "body" not in columns
