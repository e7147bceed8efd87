"""The bridge from delivery rows to the queue: enqueue what is due, and again what was lost.

Redis here keeps nothing on disk, so a queued job can vanish; the rows remember. The rows a
fan-out writes are marked queued as they are written, and the dispatcher that wrote them
enqueues them right after their commit (`enqueue`); the sweeper's round takes the rest. A row
that was never enqueued goes at once (deferred to its next attempt); one due long ago and still
pending, with no job holding it, goes again. A key set in Redis tells whether Redis still holds
what was enqueued: when it is missing (Redis restarted, or this is the first round), every row
marked queued is due again at once instead of after the stale interval. Rows are marked queued,
and the mark committed, before their job is enqueued, so no job can start on rows still
unmarked; a worker that dies in between leaves them to the stale sweep. Job ids come from the
rows, their attempt numbers and due times, so arq refuses a batch that is still queued, and each
attempt (each manual retry, each release of a row that waited its turn) gets an id of its own.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import asyncpg
from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_unix_ms

from app.queues import JOB, QUEUE
from app.store.delivery_jobs import (
    Due,
    release_waiting,
    take_due,
    unmark_all_enqueued,
    unmark_enqueued,
)

ENQUEUE_LOCK_KEY = 0x6865_7261_6C64_02
TAKE_AT_ONCE = 5000
# Set with the first enqueue to a Redis: its absence means the jobs Redis held are gone.
KEPT_KEY = "herald:queue-kept"


def job_id(batch: list[Due]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for row in batch:
        digest.update(f"{row.id}:{row.attempts + 1}:{row.next_attempt_at.timestamp()};".encode())
    return f"{JOB}:{digest.hexdigest()}"


def batches(rows: list[Due], size: int) -> list[list[Due]]:
    """A fan-out's first attempts travel in batches of one event (one payload to build);
    retries travel alone, each at its own time."""
    groups: dict[object, list[Due]] = defaultdict(list)
    for row in rows:
        fan_out = row.attempts == 0 and row.event_position is not None
        groups[(row.event_position, row.next_attempt_at) if fan_out else row.id].append(row)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]


async def enqueue_due(
    conn: asyncpg.Connection, redis: ArqRedis, *, stale_after: float, batch_size: int
) -> int:
    """Hand every due row to the queue; returns how many went. One worker at a time does it."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ENQUEUE_LOCK_KEY):
        return 0
    try:
        await release_waiting(conn)
        if not await redis.exists(KEPT_KEY):
            await unmark_all_enqueued(conn)
            await redis.set(KEPT_KEY, b"1")
        total = 0
        while True:
            due = await take_due(conn, stale_after, TAKE_AT_ONCE)
            total += await enqueue(conn, redis, due, batch_size)
            if len(due) < TAKE_AT_ONCE:
                return total
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ENQUEUE_LOCK_KEY)


async def enqueue(
    conn: asyncpg.Connection, redis: ArqRedis, rows: Sequence[Due], batch_size: int
) -> int:
    """Hand rows marked queued (and committed) to the queue, a job a batch; returns how many
    went. What does not reach Redis is unmarked, so it is due again as soon as Redis is back."""
    todo = batches(sorted(rows, key=lambda row: (row.next_attempt_at, row.id)), batch_size)
    queued = 0
    try:
        for first in range(0, len(todo), JOBS_AT_ONCE):
            jobs = todo[first : first + JOBS_AT_ONCE]
            await _enqueue_jobs(redis, jobs)
            queued += len(jobs)
    except Exception:
        await unmark_enqueued(conn, [row for batch in todo[queued:] for row in batch])
        raise
    return len(rows)


# Each job as arq's enqueue_job stores it (skipped when a job or a result with its id is
# there, else kept until it expires and put in the queue at its time), in one script for a
# chunk's jobs: enqueue_job costs three round trips a job (WATCH, EXISTS, then the write),
# which a worker busy sending paid for in turns of its event loop. A script runs whole, as the
# WATCH made each job's check and write.
_ENQUEUE_JOBS = """
for i = 1, #KEYS - 1, 2 do
  local n = (i - 1) * 2
  if redis.call('EXISTS', KEYS[i], KEYS[i + 1]) == 0 then
    redis.call('PSETEX', KEYS[i], ARGV[n + 4], ARGV[n + 2])
    redis.call('ZADD', KEYS[#KEYS], ARGV[n + 3], ARGV[n + 1])
  end
end
"""
JOBS_AT_ONCE = 100


async def _enqueue_jobs(redis: ArqRedis, jobs: list[list[Due]]) -> None:
    enqueued_ms = timestamp_ms()
    keys: list[str] = []
    args: list[str | bytes | int] = []
    for batch in jobs:
        # Deferred to the batch's time, as arq's _defer_until: a retry waits in the queue.
        score = max(to_unix_ms(batch[0].next_attempt_at), enqueued_ms)
        key = job_id(batch)
        payload = serialize_job(
            JOB,
            ([str(row.id) for row in batch],),
            {},
            None,
            enqueued_ms,
            serializer=redis.job_serializer,
        )
        keys += [job_key_prefix + key, result_key_prefix + key]
        args += [key, payload, score, score - enqueued_ms + redis.expires_extra_ms]
    await redis.register_script(_ENQUEUE_JOBS)(keys=[*keys, QUEUE], args=args)
