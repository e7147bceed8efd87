"""Rows handed to the queue: one job per batch, deferred to its time, never queued twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from app.queues import JOB, QUEUE
from app.store.delivery_jobs import Due
from workers.sweeper import enqueue, job_id


async def test_a_batch_handed_over_twice_is_one_job_and_a_retry_waits_for_its_time(
    pool: asyncpg.Pool, redis_url: str
) -> None:
    now = datetime.now(UTC)
    fan_out = [
        Due(id=uuid.uuid4(), event_position=7, attempts=0, next_attempt_at=now) for _ in range(3)
    ]
    later = now + timedelta(seconds=60)
    retry = Due(id=uuid.uuid4(), event_position=7, attempts=2, next_attempt_at=later)
    redis = ArqRedis.from_url(redis_url)
    try:
        async with pool.acquire() as conn:
            assert await enqueue(conn, redis, [*fan_out, retry], batch_size=2) == 4
            await enqueue(conn, redis, [*fan_out, retry], batch_size=2)  # as after a lost reply
        queued = await redis.zrange(QUEUE, 0, -1, withscores=True)
        assert len(queued) == 3  # the fan-out's two batches and the retry, once each
        infos = {
            key.decode(): await Job(key.decode(), redis, _queue_name=QUEUE).info()
            for key, _ in queued
        }
        assert {info.function for info in infos.values()} == {JOB}
        batches = sorted(len(info.args[0]) for info in infos.values())
        assert batches == [1, 1, 2]
        deferred = dict(queued)[job_id([retry]).encode()]
        assert deferred == round(later.timestamp() * 1000)
        assert await Job(job_id([retry]), redis, _queue_name=QUEUE).status() == JobStatus.deferred
    finally:
        await redis.aclose()
