"""The dispatcher never skips an event, never tells one twice, and tells no newcomer old news."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from uuid_utils.compat import uuid7

from app.config import Settings
from app.domain.events import UpdatePosted
from app.domain.values import Actor
from app.store import deliveries
from app.store.bodies import save_body
from app.store.dispatch_log import DISPATCH_LOCK_KEY
from app.store.event_store import EventMetadata, append, lock_stream, read_stream
from tests.api.conftest import Org, open_incident
from tests.conftest import Services
from tests.workers.conftest import StartWorker
from tests.workers.helpers import add_webhook, jobs_done, post_update, settled
from tests.workers.helpers import deliveries as delivery_rows
from tests.workers.services import Receiver, eventually
from workers.dispatcher import dispatch

WRITERS = 8
SECONDS = 3.0
ALICE = Actor(id=uuid.UUID(int=1), name="Alice Chen")


async def post_raw(conn: asyncpg.Connection, incident_id: str, hold: float = 0.0) -> uuid.UUID:
    """Append a public update the way handle() does, holding the transaction open a while."""
    stream = uuid.UUID(incident_id)
    update_id = uuid.uuid4()
    async with conn.transaction():
        await lock_stream(conn, stream)
        version = (await read_stream(conn, stream))[-1].version
        event = UpdatePosted(
            update_id=update_id,
            visibility="public",
            has_body=True,
            notify_subscribers=True,
            posted_by=ALICE,
            at=datetime.now(UTC),
        )
        await append(conn, stream, version, [event], EventMetadata())
        await save_body(conn, stream, update_id, f"update {update_id}")
        await asyncio.sleep(hold)
    return update_id


async def test_eight_writers_committing_out_of_order_each_update_told_exactly_once(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    start_worker: StartWorker,
    redis_url: str,
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    # Each writer keeps to its own incidents, several of them so that streams stay short.
    incidents = [[await open_incident(client, org) for _ in range(6)] for _ in range(WRITERS)]
    start_worker()
    start_worker()  # two workers: only one may dispatch at a time
    posted: list[uuid.UUID] = []
    deadline = time.monotonic() + SECONDS

    async def writer(mine: list[dict]) -> None:
        async with pool.acquire() as conn:
            while time.monotonic() < deadline:
                # Holding each transaction a random while makes commits land out of the order
                # in which their positions were handed out: the gap a naive reader falls into.
                incident = random.choice(mine)
                posted.append(await post_raw(conn, incident["id"], random.uniform(0, 0.01)))
                await asyncio.sleep(random.uniform(0.01, 0.04))  # a pace the test can deliver at

    async def naive_reader() -> set[int]:
        """Follows the log by position alone, as the classic broken dispatcher does."""
        seen: set[int] = set()
        last = 0
        async with pool.acquire() as conn:
            while time.monotonic() < deadline + 0.5:
                rows = await conn.fetch(
                    "SELECT position FROM events WHERE position > $1 ORDER BY position", last
                )
                seen |= {row["position"] for row in rows}
                last = max(seen, default=last)
                await asyncio.sleep(0.001)
        return seen

    reader = asyncio.create_task(naive_reader())
    await asyncio.gather(*(writer(mine) for mine in incidents))
    seen = await reader
    everything = {row["position"] for row in await pool.fetch("SELECT position FROM events")}
    skipped = everything - seen
    assert skipped, "no commit landed behind a later position; the test proves nothing"

    async def all_told() -> bool:
        return len(receiver.received) >= len(posted)

    started = time.monotonic()
    await eventually(all_told, within=60, what=f"{len(posted)} webhooks")
    print(
        f"{len(posted)} updates by {WRITERS} writers; a position-only reader skipped"
        f" {len(skipped)}; all told {time.monotonic() - started:.1f} s after the last"
    )
    await eventually(jobs_done(redis_url), what="every job, so that a second send would show")
    told = Counter(item.body["incident"]["incident_updates"][0]["id"] for item in receiver.received)
    assert told == Counter({str(update_id): 1 for update_id in posted})
    assert max(receiver.keys().values()) == 1
    rows = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'delivered'")
    assert rows == len(posted)


async def test_an_open_transaction_holds_the_dispatcher_back_instead_of_being_skipped(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    early, late = await open_incident(client, org), await open_incident(client, org)
    async with pool.acquire() as slow, pool.acquire() as fast, pool.acquire() as dispatcher:
        await dispatch(dispatcher, 4)  # past the setup
        transaction = slow.transaction()
        await transaction.start()
        slow_update = uuid.uuid4()
        stream = uuid.UUID(early["id"])
        version = (await read_stream(slow, stream))[-1].version
        posted = UpdatePosted(
            update_id=slow_update,
            visibility="public",
            has_body=True,
            notify_subscribers=True,
            posted_by=ALICE,
            at=datetime.now(UTC),
        )
        await append(slow, stream, version, [posted], EventMetadata())
        await save_body(slow, stream, slow_update, "slow")
        # A later position commits first; a position-only reader would read it, move past the
        # slow one's position, and never come back for it.
        fast_update = await post_raw(fast, late["id"])
        assert (await dispatch(dispatcher, 4)).read == 0
        await transaction.commit()
        assert (await dispatch(dispatcher, 4)).read == 2
    told = await pool.fetch("SELECT update_id FROM deliveries ORDER BY event_position")
    assert [row["update_id"] for row in told] == [slow_update, fast_update]


async def test_one_dispatcher_at_a_time_and_a_second_round_adds_nothing(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")
    async with pool.acquire() as first, pool.acquire() as second:
        async with first.transaction():
            await first.execute("SELECT pg_advisory_xact_lock($1)", DISPATCH_LOCK_KEY)
            assert (await dispatch(second, 4)).read == 0
        assert (await dispatch(second, 4)).read > 0
        assert (await dispatch(second, 4)).read == 0
        await second.execute("UPDATE dispatcher_checkpoints SET transaction_id = '0', position = 0")
        assert (await dispatch(second, 4)).read > 0  # read again from the start...
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 1  # ...adds no second row


async def test_a_subscriber_confirmed_after_an_update_is_not_told_of_it(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    incident = await open_incident(client, org)
    before = await post_update(client, org, incident, body="Before you came.")
    await add_webhook(client, org, receiver, "/newcomer")
    after = await post_update(client, org, incident, body="Now you are here.")
    async with pool.acquire() as conn:
        await dispatch(conn, 4)  # a dispatcher that was down catches up on both at once
    told = await pool.fetch("SELECT update_id FROM deliveries")
    assert [row["update_id"] for row in told] == [uuid.UUID(after["id"])]
    assert before["id"] != after["id"]


async def test_a_transaction_open_in_another_database_does_not_hold_the_dispatcher_back(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, receiver: Receiver, services: Services
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    incident = await open_incident(client, org)
    elsewhere = await asyncpg.connect(services.admin_url)
    try:
        async with elsewhere.transaction():
            await elsewhere.fetchval("SELECT pg_current_xact_id()")  # holds an xid, idle
            await post_update(client, org, incident, body="Investigating.")
            async with pool.acquire() as conn:
                assert (await dispatch(conn, 4)).read > 0
    finally:
        await elsewhere.close()
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 1


async def test_a_worker_lost_between_chunks_is_resumed_where_it_stopped_and_sends_once(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    start_worker: StartWorker,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deliveries, "FAN_OUT_CHUNK", 2)
    paths = [f"/hook{i}" for i in range(5)]
    subscribers = {(await add_webhook(client, org, receiver, path))["id"] for path in paths}
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")
    async with pool.acquire() as conn:
        assert (await dispatch(conn, 4)).read > 0  # up to the update's first chunk, committed
        first = await conn.fetch("SELECT id, subscriber_id FROM deliveries")
        assert len(first) == 2
        # The database gives out while the second chunk is written, as a crashed worker stops.
        await conn.execute(
            "CREATE FUNCTION worker_lost() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'worker lost'; END $$;"
            " CREATE TRIGGER worker_lost BEFORE INSERT ON deliveries"
            " FOR EACH ROW EXECUTE FUNCTION worker_lost()"
        )
        with pytest.raises(asyncpg.RaiseError):
            await dispatch(conn, 4)
        assert await conn.fetch("SELECT id, subscriber_id FROM deliveries") == first
        await conn.execute("DROP TRIGGER worker_lost ON deliveries")
    start_worker()  # another worker takes over from the checkpoint

    async def all_told() -> bool:
        return len(receiver.received) >= len(paths)

    await eventually(all_told, what="a message to each subscriber")
    await eventually(jobs_done(redis_url), what="every job, so that a second send would show")
    assert sorted(item.path for item in receiver.received) == paths
    assert max(receiver.keys().values()) == 1
    told = await pool.fetch("SELECT id, subscriber_id FROM deliveries ORDER BY id")
    assert sorted(str(row["subscriber_id"]) for row in told) == sorted(subscribers)
    assert set(first) <= {(row["id"], row["subscriber_id"]) for row in told}


async def test_the_first_chunk_is_queued_before_the_last_one_is_written(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    start_worker: StartWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deliveries, "FAN_OUT_CHUNK", 2)
    for i in range(5):
        await add_webhook(client, org, receiver, f"/hook{i}")
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")
    start_worker()

    async def all_told() -> bool:
        return len(receiver.received) >= 5

    await eventually(all_told, what="a message to each subscriber")
    # created_at is when a round's transaction began, enqueued_at when a chunk was queued.
    chunks = await pool.fetch(
        "SELECT created_at, min(enqueued_at) AS queued FROM deliveries"
        " GROUP BY created_at ORDER BY created_at"
    )
    assert [len(chunks)] == [3]
    assert chunks[0]["queued"] < chunks[-1]["created_at"]


async def test_chunks_over_two_pages_reach_every_subscriber_of_both_once(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
    receiver: Receiver,
) -> None:
    """Each page's subscribers are read from where the last chunk stopped: a subscriber of
    either page is told once, in chunks no larger than the chunk size."""
    monkeypatch.setattr(deliveries, "FAN_OUT_CHUNK", 2)
    response = await client.post(
        "/v1/status-pages",
        json={"name": "Acme too", "slug": "acme-too", "componentIds": [org.payments]},
        headers=org.headers,
    )
    other = response.json()["data"]["id"]
    response = await client.patch(
        f"/v1/status-pages/{other}", json={"published": True}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    subscribers = set()
    for i in range(7):  # the pages' subscribers' ids interleave
        page = other if i % 2 else None
        subscribers.add((await add_webhook(client, org, receiver, f"/h{i}", page_id=page))["id"])
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")
    written = []
    async with pool.acquire() as conn:
        while (await dispatch(conn, 4)).read:
            written.append(await conn.fetchval("SELECT count(*) FROM deliveries"))
    told = await pool.fetch("SELECT subscriber_id FROM deliveries")
    assert sorted(str(row["subscriber_id"]) for row in told) == sorted(subscribers)
    assert all(b - a <= 2 for a, b in zip([0, *written], written, strict=False))


async def test_a_redaction_between_chunks_stops_the_rest_and_sends_nothing(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    start_worker: StartWorker,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deliveries, "FAN_OUT_CHUNK", 2)
    for i in range(5):
        await add_webhook(client, org, receiver, f"/hook{i}")
    incident = await open_incident(client, org)
    update = await post_update(client, org, incident, body="Blaming our vendor, oops.")
    async with pool.acquire() as conn:
        assert (await dispatch(conn, 4)).read > 0  # up to the update's first chunk
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{update['id']}/redact", headers=org.headers
    )
    assert response.status_code < 300, response.text
    start_worker()

    async def nothing_owed() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'")

    await eventually(nothing_owed, what="the update's rows cancelled")
    await eventually(jobs_done(redis_url), what="every job, so that a send would show")
    assert receiver.received == []
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 2  # the rest never written


async def test_a_later_update_waits_for_an_earlier_one_written_with_a_later_id(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    start_worker: StartWorker,
    settings: Settings,
) -> None:
    """Rows of consecutive updates may be written by two workers whose clocks give the earlier
    update's row the later id: the order a subscriber hears them in is the updates' own."""
    await add_webhook(client, org, receiver, "/hook")
    incident = await open_incident(client, org)
    first = await post_update(client, org, incident, body="First.")
    await post_update(client, org, incident, body="Second.")
    async with pool.acquire() as conn:
        while (await dispatch(conn, settings.delivery_attempts)).read:
            pass
        # As if another worker, its clock a little ahead, had written the first update's row.
        await conn.execute(
            "UPDATE deliveries SET id = $1 WHERE update_id = $2", uuid7(), uuid.UUID(first["id"])
        )
    # The first message fails once and is retried: the second must not overtake it meanwhile.
    receiver.answer = lambda path, count: 500 if count == 1 else 200
    start_worker()

    await eventually(settled(client, org, 2), what="both messages settled")
    heard = [item.body["incident"]["incident_updates"][0]["body"] for item in receiver.received]
    assert heard == ["First.", "Second."]
    rows = await delivery_rows(client, org)
    assert sorted((row["status"], row["attempts"]) for row in rows) == [
        ("delivered", 1),
        ("delivered", 2),
    ]
