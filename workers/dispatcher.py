"""The only bridge from PostgreSQL to Redis: log -> delivery rows -> queue.

Each round turns settled events into delivery rows, a chunk of subscribers' worth at most,
and moves the checkpoint in one transaction, then hands due rows to the queue. A command only
appends to the log, so a Redis outage never fails one: rows wait in PostgreSQL until the queue
is back. The loop wakes on NOTIFY (events appended, rows due again) and polls as a fallback for
a lost notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import NamedTuple
from uuid import UUID

import asyncpg
import msgspec
from arq.connections import ArqRedis
from redis.exceptions import RedisError

from app.domain.events import UpdatePosted, UpdateRedacted
from app.domain.incident import fold
from app.domain.notifications import notifies, through_update
from app.store.codec import decode_event
from app.store.component_changes import MOVES_SPANS, record_changes_of
from app.store.deliveries import (
    DELIVERIES_CHANNEL,
    FAN_OUT_CHUNK,
    NOTHING,
    Written,
    cancel_pending_of_update,
    create_update_deliveries,
)
from app.store.delivery_jobs import Due
from app.store.dispatch_log import (
    EVENTS_CHANNEL,
    LoggedEvent,
    load_checkpoint,
    read_settled,
    save_checkpoint,
    try_lock_dispatch,
)
from app.store.event_store import read_stream
from app.store.maintenance_deliveries import (
    NOTICES,
    create_maintenance_deliveries,
    maintenance_as_of,
)
from app.store.subscription_requests import forget_old_requests
from workers.context import Context
from workers.sweeper import enqueue, enqueue_due

log = logging.getLogger("herald.dispatcher")

READ_AT_ONCE = 500
FORGET_EVERY = 600.0  # seconds between clean-ups of the subscribe form's rate-limit records


class Dispatched(NamedTuple):
    read: int  # events, a half-written one included; 0 when caught up or another dispatches
    queued: list[Due]  # the rows written, marked queued: for the caller to enqueue


async def dispatch(conn: asyncpg.Connection, max_attempts: int) -> Dispatched:
    """One round, one transaction: settled events past the checkpoint, up to READ_AT_ONCE of
    them, stopping once a chunk of subscribers' rows is written.

    The rows commit with the checkpoint, which says where a half-written event stopped, so the
    queue gets a chunk's rows while the next chunk is written, and a worker that dies between
    two rounds leaves the next one to go on from there. Rounds are one at a time across
    workers, each reading the checkpoint the last one left.
    """
    async with conn.transaction():
        if not await try_lock_dispatch(conn):
            return Dispatched(0, [])
        checkpoint = await load_checkpoint(conn)
        events = await read_settled(conn, checkpoint, READ_AT_ONCE)
        read = subscribers = 0
        queued: list[Due] = []
        for logged in events:
            read += 1
            chunk = await _tell(conn, logged, checkpoint.fanned_out_to, max_attempts)
            queued += chunk.queued
            if chunk.last is not None:
                await save_checkpoint(
                    conn, msgspec.structs.replace(checkpoint, fanned_out_to=chunk.last)
                )
                return Dispatched(read, queued)
            checkpoint = logged.checkpoint
            subscribers += chunk.subscribers
            if subscribers >= FAN_OUT_CHUNK:
                break
        if events:
            await save_checkpoint(conn, checkpoint)
        return Dispatched(read, queued)


async def _tell(
    conn: asyncpg.Connection, logged: LoggedEvent, after: UUID | None, max_attempts: int
) -> Written:
    """Write the rows `logged` owes to the next chunk of its subscribers past `after`."""
    if logged.type == UpdatePosted.__name__:
        return await _fan_out(conn, logged, after, max_attempts)
    if logged.type == UpdateRedacted.__name__:
        redacted = decode_event(logged.data)
        assert isinstance(redacted, UpdateRedacted)
        await cancel_pending_of_update(conn, redacted.update_id)
    elif logged.type in MOVES_SPANS:
        return await record_changes_of(conn, logged, after, max_attempts)
    elif logged.type in NOTICES:
        return await create_maintenance_deliveries(
            conn,
            event_position=logged.position,
            event_type=logged.type,
            maintenance=await maintenance_as_of(conn, logged.stream_id, logged.position),
            recorded_at=logged.recorded_at,
            after=after,
            max_attempts=max_attempts,
        )
    return NOTHING


async def _fan_out(
    conn: asyncpg.Connection, logged: LoggedEvent, after: UUID | None, max_attempts: int
) -> Written:
    posted = decode_event(logged.data)
    assert isinstance(posted, UpdatePosted)
    if not notifies(posted):
        return NOTHING
    history = [item.event for item in await read_stream(conn, logged.stream_id)]
    # Read again for each chunk: a redaction that committed meanwhile stops the rest.
    if any(isinstance(e, UpdateRedacted) and e.update_id == posted.update_id for e in history):
        return NOTHING  # taken back before anyone (else) was told
    # The incident as this update left it decides who hears of it, however late we are.
    incident = fold(through_update(history, posted.update_id))
    assert incident is not None
    return await create_update_deliveries(
        conn,
        event_position=logged.position,
        organization_id=incident.organization_id,
        incident_id=incident.id,
        update_id=posted.update_id,
        component_ids=incident.component_ids,
        recorded_at=logged.recorded_at,
        after=after,
        max_attempts=max_attempts,
    )


async def _listen(database_url: str, wake: asyncio.Event) -> asyncpg.Connection | None:
    try:
        conn = await asyncpg.connect(database_url)
        for channel in (EVENTS_CHANNEL, DELIVERIES_CHANNEL):
            await conn.add_listener(channel, lambda *_: wake.set())
    except (OSError, asyncpg.PostgresError) as error:
        log.warning("cannot LISTEN, polling only for now: %s", error)
        return None
    return conn


async def run_dispatcher(context: Context, redis: ArqRedis, stop: asyncio.Event) -> None:
    settings = context.settings
    wake = asyncio.Event()
    listener: asyncpg.Connection | None = None
    failing = False
    forgotten_at = 0.0
    loop = asyncio.get_running_loop()
    try:
        while not stop.is_set():
            if listener is None or listener.is_closed():
                listener = await _listen(settings.database_url, wake)
            wake.clear()
            try:
                async with context.pool.acquire() as conn:
                    # Each round's rows go to the queue before the next round writes more.
                    while True:
                        dispatched = await dispatch(conn, settings.delivery_attempts)
                        await enqueue(conn, redis, dispatched.queued, settings.delivery_batch)
                        await enqueue_due(
                            conn,
                            redis,
                            stale_after=settings.stale_after,
                            batch_size=settings.delivery_batch,
                        )
                        if not dispatched.read:
                            break
                    if loop.time() - forgotten_at > FORGET_EVERY:
                        await forget_old_requests(conn)
                        forgotten_at = loop.time()
                if failing:
                    log.info("dispatching again")
                failing = False
            except (RedisError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if not failing:  # once per outage, not once per poll
                    log.warning("cannot dispatch, will keep trying: %s", error)
                failing = True
            except Exception:
                # Whatever it was, a dispatcher that stops would stop every notification.
                log.exception("dispatching failed; trying again")
                failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), settings.poll_interval)
    finally:
        if listener is not None:
            await listener.close()
