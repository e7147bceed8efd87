"""`herald status`: what an operator checks first, as lines of text, and whether all is well."""

from __future__ import annotations

from urllib.parse import urlsplit

from arq.constants import health_check_key_suffix
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.config import Settings
from app.queues import QUEUE
from app.store.operations import deliveries_by_status, dispatcher_lag
from app.store.pool import DatabaseUnreachable, connect, where

REDIS_TIMEOUT = 2.0


async def report(settings: Settings) -> tuple[list[str], bool]:
    """The report's lines, and False when PostgreSQL or Redis cannot be reached."""
    lines, healthy = [], True
    try:
        conn = await connect(settings.database_url)
    except DatabaseUnreachable as error:
        lines.append(f"PostgreSQL  unreachable: {error}")
        healthy = False
    else:
        try:
            lag = await dispatcher_lag(conn)
            deliveries = await deliveries_by_status(conn)
        finally:
            await conn.close()
        lines += [
            f"PostgreSQL  reachable at {where(settings.database_url)}",
            f"Dispatcher  {lag.events} events behind, the oldest {lag.seconds:.1f} s old",
            "Deliveries  "
            + (", ".join(f"{status} {n}" for status, n in sorted(deliveries.items())) or "none"),
        ]
    redis = Redis.from_url(
        settings.redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    parts = urlsplit(settings.redis_url)
    redis_at = f"{parts.hostname or parts.path}:{parts.port or 6379}"
    try:
        depth = await redis.zcard(QUEUE)
        # arq's job loop rewrites this key every 30 s, with a TTL just past that.
        heartbeat = await redis.get(QUEUE + health_check_key_suffix)
    except (RedisError, OSError) as error:
        lines.append(f"Redis       unreachable at {redis_at}: {error}")
        healthy = False
    else:
        lines += [
            f"Redis       reachable at {redis_at}; {depth} delivery jobs queued",
            "Worker      "
            + (f"alive: {heartbeat.decode()}" if heartbeat else "no heartbeat in the last 31 s"),
        ]
    finally:
        await redis.aclose()
    return lines, healthy
