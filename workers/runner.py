"""`herald worker`: the dispatcher and arq's job loop in one process, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.exceptions import RedisError

from app import event_loop
from app.config import Settings
from workers.context import open_context
from workers.dispatcher import run_dispatcher
from workers.settings import worker_settings

log = logging.getLogger("herald.worker")
SHUTDOWN_GRACE = 8.0  # seconds; docker compose sends SIGKILL 10 s after SIGTERM
# A fan-out keeps a thousand messages in flight, each with its task, coroutine, futures and
# request; at the default threshold (700 more objects made than freed) the collector walked
# them some 50 times a second, most of them still in use: 6% of the worker's CPU. Cycles
# still go, once 10,000 more objects are alive.
YOUNG_COLLECTION_AFTER = 10_000


async def work(settings: Settings, stop: asyncio.Event) -> None:
    async with open_context(settings) as context:
        # The dispatcher's own client gives up quickly, so that rows keep being written and
        # checkpoints kept while Redis is away; the job loop's client waits for Redis instead.
        redis = ArqRedis.from_url(settings.redis_url, socket_connect_timeout=2)
        dispatcher = asyncio.create_task(run_dispatcher(context, redis, stop))
        try:
            while not stop.is_set():
                await _run_job_loop(worker_settings(settings, context), stop)
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            await redis.aclose()


class _Worker(Worker):
    """arq's Worker, passing over the queued jobs that already run in one command.

    A job stays in the queue while it runs, and each poll reads the queue's head: arq checks
    every id it read in a transaction of its own (WATCH, EXISTS, ZSCORE), so each job started
    paid for one such check per job already running, in this worker or another. Those it
    skips here; arq still checks the rest, which keeps a job from starting twice.
    """

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        if job_ids:
            # One MGET, not an EXISTS per id: the poll reads up to 100 ids 50 times a second,
            # and the client packs and parses each command in Python.
            keys = [in_progress_key_prefix + job_id.decode() for job_id in job_ids]
            running = await self.pool.mget(keys)
            job_ids = [job_id for job_id, mark in zip(job_ids, running, strict=True) if not mark]
        await super().start_jobs(job_ids)


async def _run_job_loop(settings: dict, stop: asyncio.Event) -> None:
    """Run arq's loop until `stop`; arq ends it on some Redis failures, so start it again."""
    worker = _Worker(**settings)
    jobs = asyncio.create_task(worker.async_run())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({jobs, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if jobs.done() and not jobs.cancelled() and jobs.exception() is not None:
        error = jobs.exception()
        if not isinstance(error, (RedisError, OSError)):
            raise error
        log.warning("the job loop lost Redis (%s); starting it again", error)
        await asyncio.sleep(1)
    if stop.is_set():
        # A deploy stops us: let running jobs finish (arq would cancel them, and their rows
        # would stay leased until the lease ran out) within what a supervisor usually waits.
        worker.allow_pick_jobs = False
        running = [task for task in worker.tasks.values() if not task.done()]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE)
    # close() gathers the job tasks it cancels; one cancelled while recording its result
    # re-raises that cancellation here, which must not end the worker.
    for outcome in await asyncio.gather(worker.close(), return_exceptions=True):
        if isinstance(outcome, Exception):
            log.warning("closing the job loop: %s", outcome)
    if not jobs.done():
        with contextlib.suppress(asyncio.CancelledError):
            await jobs


def warn_about(settings: Settings) -> None:
    """What the operator should know at start: settings that leave messages less useful."""
    if settings.public_url is None:
        log.warning(
            "PUBLIC_URL is not set: links in messages point to %s; set it to the address "
            "where readers reach the status pages",
            settings.base_url,
        )
    if settings.smtp_url is None:
        log.warning("SMTP_URL is not set: mails are retried, then given up as dead")


def run(settings: Settings) -> None:
    if not settings.secret_key:
        sys.exit("herald worker: SECRET_KEY is not set; it signs links and decrypts secrets")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    warn_about(settings)
    # What start-up loaded (modules, settings) lives as long as the process: full collections
    # need not walk it again and again.
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_AFTER)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await work(settings, stop)

    event_loop.run(main())
