"""The arq worker's settings (arq's WorkerSettings), built from Herald's Settings."""

from __future__ import annotations

import dataclasses
from typing import Any

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import func
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from app.config import Settings
from app.queues import JOB, QUEUE
from workers.context import Context
from workers.delivery.job import deliver
from workers.housekeeping import expire_idempotency_keys, forget_unconfirmed_signups
from workers.maintenance_clock import tick_maintenances

# arq's default of 0.5 s between polls caps a worker at max_jobs jobs per half second; a short
# delay costs one cheap ZRANGEBYSCORE per poll and lets a fan-out run as fast as jobs finish.
POLL_DELAY = 0.02


def redis_settings(url: str) -> RedisSettings:
    """Reconnect forever: a Redis restart pauses the job loop instead of ending the worker."""
    return dataclasses.replace(
        RedisSettings.from_dsn(url),
        conn_retries=0,
        retry_on_error=[ConnectionError, TimeoutError],
        # OSError too: a refused connection surfaces as one while connecting.
        retry=Retry(
            ExponentialBackoff(cap=2.0, base=0.05),
            -1,
            supported_errors=(ConnectionError, TimeoutError, OSError),
        ),
    )


def worker_settings(settings: Settings, context: Context) -> dict[str, Any]:
    return {
        # No result is kept, so a job id is free again once its job ran (see sweeper.job_id).
        "functions": [func(deliver, name=JOB, keep_result=0)],
        # arq runs each scheduled time once across every worker (the job id names the time).
        "cron_jobs": [
            cron(expire_idempotency_keys, minute=17, keep_result=0),
            # Every quarter hour: an address goes soon after its last link stops working.
            cron(forget_unconfirmed_signups, minute={7, 22, 37, 52}, keep_result=0),
            # Maintenances are reminded of, started and completed within 15 seconds of their
            # time; what fell due while no worker ran, at the first tick after one starts.
            cron(tick_maintenances, second={0, 15, 30, 45}, keep_result=0),
        ],
        "redis_settings": redis_settings(settings.redis_url),
        "queue_name": QUEUE,
        "ctx": {"herald": context},
        "handle_signals": False,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.job_timeout,
        "keep_result": 0,
        "poll_delay": POLL_DELAY,
        "health_check_interval": 30,
    }
