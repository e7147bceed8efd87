"""How soon messages leave: none waits for the stale sweep, none waits for a slow neighbour."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
from litestar.testing import AsyncTestClient

from testkit.redis_server import RedisServer
from tests.api.conftest import Org, open_incident
from tests.conftest import Services
from tests.workers.conftest import StartWorker
from tests.workers.helpers import add_webhook, deliveries, post_update, settled
from tests.workers.services import Receiver, eventually


def _seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


async def test_bursts_of_updates_are_all_first_attempted_within_two_seconds(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    subscribers = 12
    for n in range(subscribers):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    # The production interval: a row the queue never ran would wait a minute for the sweep.
    start_worker(stale_after=60.0)
    incidents = [await open_incident(client, org) for _ in range(3)]
    posted = 0
    for burst in range(12):
        await asyncio.gather(
            *(
                post_update(client, org, incident, body=f"Burst {burst}, update {n}.")
                for incident in incidents
                for n in range(3)
            )
        )
        posted += len(incidents) * 3
        # Well before the stale sweep would pick up a row the queue never ran.
        await eventually(settled(client, org, posted * subscribers), what=f"burst {burst}")

    rows = await deliveries(client, org)
    assert len(rows) == posted * subscribers
    assert {(row["status"], row["attempts"]) for row in rows} == {("delivered", 1)}
    # A subscriber hears of updates in order: a row may go once it exists and the one before
    # it, to the same subscriber, is delivered. From then on it must not wait for anything.
    late: list[float] = []
    by_subscriber: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda row: row["id"]):
        by_subscriber.setdefault(row["subscriberId"], []).append(row)
    for chain in by_subscriber.values():
        for before, row in zip([None, *chain], chain, strict=False):
            ready = row["createdAt"]
            if before is not None:
                ready = max(ready, before["deliveredAt"], key=datetime.fromisoformat)
            late.append(_seconds(row["lastAttemptAt"], ready))
    late.sort()
    assert late[-1] < 2.0, f"first attempts as late as {late[-5:]} s after they could go"


async def test_a_receiver_using_its_whole_timeout_holds_up_no_one_else(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    await add_webhook(client, org, receiver, "/slow")
    await add_webhook(client, org, receiver, "/flaky")
    healthy = [f"/hooks/{n}" for n in range(4)]
    for path in healthy:
        await add_webhook(client, org, receiver, path)
    receiver.slow[("/slow", 1)] = 9.0
    receiver.answer = lambda path, count: 500 if path == "/flaky" and count == 1 else 200
    # Production's timeout; retries after 0.5-1 s.
    start_worker(send_timeout=10.0, job_timeout=60.0, retry_base=1.0, retry_cap=2.0)
    incident = await open_incident(client, org)
    first = await post_update(client, org, incident, body="Investigating.")
    second = await post_update(client, org, incident, body="Identified.")

    def heard(path: str) -> list[str]:
        return [
            item.body["incident"]["incident_updates"][0]["id"]
            for item in receiver.received
            if item.path == path
        ]

    async def others_done() -> bool:
        return all(heard(path) == [first["id"], second["id"]] for path in [*healthy, "/flaky"])

    # Long before /slow answers: the retry and every next message went on without it.
    await eventually(others_done, within=5, what="everyone but /slow told twice")
    assert heard("/slow") == []
    await eventually(
        lambda: asyncio.sleep(0, heard("/slow") == [first["id"], second["id"]]),
        within=15,
        what="/slow told twice, in order",
    )
    await eventually(settled(client, org, 12), what="every delivery settled")
    rows = await deliveries(client, org)
    assert {row["status"] for row in rows} == {"delivered"}


@pytest.fixture
def own_redis(services: Services) -> Iterator[RedisServer]:
    server = RedisServer(services.redis_binary)
    server.start()
    yield server
    server.remove()


async def test_messages_written_while_redis_is_down_leave_as_soon_as_it_is_back(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    own_redis: RedisServer,
    start_worker: StartWorker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    own_redis.stop()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")
    with caplog.at_level(logging.WARNING, logger="herald.dispatcher"):
        start_worker(redis_url=own_redis.url, stale_after=60.0)

        # The worker's first round writes the row, then fails to hand it to Redis.
        async def dispatcher_failed() -> bool:
            return any("cannot dispatch" in record.message for record in caplog.records)

        await eventually(dispatcher_failed, what="the dispatcher to find Redis down")
    [row] = await deliveries(client, org)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert receiver.attempts == []
    own_redis.start()
    await eventually(settled(client, org, 1), within=8, what="the delivery after Redis is back")
    [row] = await deliveries(client, org)
    assert (row["status"], row["attempts"]) == ("delivered", 1)
