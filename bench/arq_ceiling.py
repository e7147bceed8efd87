"""The fan-out's baseline: one arq worker draining N no-op jobs on a redis-server of its own,
with the settings Herald's worker runs with (max_jobs, poll_delay, no results kept); the
queue's own ceiling on this machine.

    uv run python -m bench.arq_ceiling --jobs 10000
"""

from __future__ import annotations

import argparse
import time

from arq import Worker, create_pool
from arq.connections import RedisSettings
from arq.worker import func

from app import event_loop
from bench.harness import cpu_seconds
from testkit.redis_server import RedisServer
from workers.settings import POLL_DELAY


async def noop(ctx: dict) -> None:
    return None


async def measure(jobs: int, max_jobs: int = 20) -> dict:
    redis = RedisServer()
    redis.start()
    try:
        settings = RedisSettings.from_dsn(redis.url)
        pool = await create_pool(settings)
        for _ in range(jobs):
            await pool.enqueue_job("noop")
        await pool.aclose()
        worker = Worker(
            functions=[func(noop, name="noop", keep_result=0)],
            redis_settings=settings,
            burst=True,  # stop once the queue is empty: the time to drain it
            max_jobs=max_jobs,
            poll_delay=POLL_DELAY,
            keep_result=0,
            handle_signals=False,
        )
        started, cpu = time.monotonic(), cpu_seconds()
        await worker.main()
        elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu
        await worker.close()
        return {
            "jobs": worker.jobs_complete,
            "elapsed": elapsed,
            "rate": worker.jobs_complete / elapsed,
            "cpu_ms": 1000 * cpu / max(worker.jobs_complete, 1),
        }
    finally:
        redis.remove()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--max-jobs", type=int, default=20)
    args = parser.parse_args()
    print(event_loop.run(measure(args.jobs, args.max_jobs)))
