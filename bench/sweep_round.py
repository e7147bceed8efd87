"""The sweeper's round (`take_due`) behind a backlog: 100,000 rows already handed to the queue
and waiting for their jobs, as a large fan-out leaves them, and 200 rows new since the last
round. Timed with the partial index of the rows never queued (deliveries_unqueued) and, in a
second database alternated round by round, without it.

    uv run python -m bench.sweep_round
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time

import asyncpg

from app.store.delivery_jobs import take_due
from app.store.migrate import migrate
from testkit.databases import scratch_database

NEW_EACH_ROUND = 200


async def _backlog(url: str, queued: int, *, index: bool) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await migrate(conn)
    if not index:
        await conn.execute("DROP INDEX deliveries_unqueued")
    # The rows need no subscriber, page or organization for this statement: skip the checks.
    await conn.execute("SET session_replication_role = replica")
    await conn.execute(
        "INSERT INTO deliveries (id, idempotency_key, organization_id, status_page_id,"
        " subscriber_id, kind, event_position, update_id, max_attempts, next_attempt_at,"
        " enqueued_at)"
        " SELECT gen_random_uuid(), 'queued-' || g, gen_random_uuid(), gen_random_uuid(),"
        " gen_random_uuid(), 'update', 1, gen_random_uuid(), 5,"
        " now() - interval '1 second' + g * interval '1 microsecond', now()"
        " FROM generate_series(1, $1) g",
        queued,
    )
    await conn.execute("VACUUM ANALYZE deliveries")
    return conn


async def _round(conn: asyncpg.Connection, n: int) -> float:
    await conn.execute(
        "INSERT INTO deliveries (id, idempotency_key, organization_id, status_page_id,"
        " subscriber_id, kind, event_position, update_id, max_attempts)"
        " SELECT gen_random_uuid(), 'new-' || $1::text || '-' || g, gen_random_uuid(),"
        " gen_random_uuid(), gen_random_uuid(), 'update', 2, gen_random_uuid(), 5"
        " FROM generate_series(1, $2) g",
        str(n),
        NEW_EACH_ROUND,
    )
    started = time.perf_counter()
    taken = await take_due(conn, 30.0, 5000)
    elapsed = time.perf_counter() - started
    assert len(taken) == NEW_EACH_ROUND, len(taken)
    return elapsed


async def main(queued: int, rounds: int) -> None:
    async with contextlib.AsyncExitStack() as stack:
        subjects = {}
        for name, index in (("with the index", True), ("without it", False)):
            url = await stack.enter_async_context(scratch_database())
            subjects[name] = await _backlog(url, queued, index=index)
            stack.push_async_callback(subjects[name].close)
        times: dict[str, list[float]] = {name: [] for name in subjects}
        for n in range(rounds):
            for name, conn in subjects.items():
                times[name].append(await _round(conn, n))
        for name, taken in times.items():
            print(
                f"take_due, {queued} rows queued and {NEW_EACH_ROUND} new, {name}:"
                f" median {statistics.median(taken) * 1000:.1f} ms"
                f" ({min(taken) * 1000:.1f}-{max(taken) * 1000:.1f}) over {rounds} rounds"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.queued, args.rounds))
