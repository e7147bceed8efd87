"""Faults: a worker killed mid-fan-out, Redis gone mid-send. Each test runs its own redis-server
and worker processes, so stopping them disturbs nothing else."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from app.config import Settings
from testkit.redis_server import RedisServer
from tests.api.conftest import Org, open_incident
from tests.conftest import Services
from tests.workers.helpers import add_webhook, post_update
from tests.workers.services import Receiver, eventually

RUN_WORKER = (
    "import os, msgspec; from app.config import Settings; from workers.runner import run; "
    "run(msgspec.json.decode(os.environ['HERALD_TEST_SETTINGS'], type=Settings))"
)


@pytest.fixture
def own_redis(services: Services) -> Iterator[RedisServer]:
    server = RedisServer(services.redis_binary)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def fault_settings(settings: Settings, own_redis: RedisServer) -> Settings:
    return msgspec.structs.replace(settings, redis_url=own_redis.url, delivery_batch=10)


Spawn = Callable[..., subprocess.Popen]


@pytest.fixture
async def spawn_worker(fault_settings: Settings) -> AsyncIterator[Spawn]:
    """`herald worker`'s run() in processes of their own; all are stopped at the end."""
    processes: list[subprocess.Popen] = []

    def spawn(**changes: object) -> subprocess.Popen:
        settings = msgspec.structs.replace(fault_settings, **changes)
        env = {**os.environ, "HERALD_TEST_SETTINGS": msgspec.json.encode(settings).decode()}
        process = subprocess.Popen([sys.executable, "-c", RUN_WORKER], env=env)
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        process.wait(20)


async def settled_rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT subscriber_id, update_id, status FROM deliveries")


async def test_a_worker_killed_mid_fan_out_leaves_nothing_undelivered_or_doubled(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    spawn_worker: Spawn,
) -> None:
    hooks = 120
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    receiver.delay = 0.05  # slow enough that the kill lands mid-fan-out
    worker = spawn_worker()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    async def some_arrived() -> bool:
        return len(receiver.received) >= 20

    await eventually(some_arrived, within=20, what="the fan-out to start")
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    assert len(receiver.received) < hooks, "the fan-out finished before the kill"
    spawn_worker()

    async def all_delivered() -> bool:
        rows = await settled_rows(pool)
        return len(rows) == hooks and all(row["status"] == "delivered" for row in rows)

    await eventually(all_delivered, within=40, what="every delivery after the restart")
    keys_by_path: dict[str, set[str]] = defaultdict(set)
    for item in receiver.received:
        keys_by_path[item.path].add(item.key)
    assert set(keys_by_path) == {f"/hooks/{n}" for n in range(hooks)}
    # A message sent again after the crash carries the key it carried the first time.
    assert all(len(keys) == 1 for keys in keys_by_path.values())
    assert all(item.signed for item in receiver.received)
    assert len(receiver.received) > hooks, "nothing was in flight at the kill; nothing resent"


async def test_redis_stopped_mid_send_commands_succeed_and_deliveries_follow(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    own_redis: RedisServer,
    spawn_worker: Spawn,
) -> None:
    hooks = 60
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    receiver.delay = 0.05
    spawn_worker()
    incident = await open_incident(client, org)
    first = await post_update(client, org, incident, body="Investigating.")

    async def some_arrived() -> bool:
        return len(receiver.received) >= 10

    await eventually(some_arrived, within=20, what="the fan-out to start")
    own_redis.stop()  # it keeps nothing on disk: every queued job is gone
    second = await post_update(client, org, incident, body="Identified.", statusChange="identified")

    async def rows_written() -> bool:
        return (
            await pool.fetchval(
                "SELECT count(*) FROM deliveries WHERE update_id = $1", second["id"]
            )
            == hooks
        )

    await eventually(rows_written, within=10, what="delivery rows while Redis is down")
    await asyncio.sleep(1)
    own_redis.start()

    async def all_delivered() -> bool:
        rows = await settled_rows(pool)
        return len(rows) == 2 * hooks and all(row["status"] == "delivered" for row in rows)

    await eventually(all_delivered, within=40, what="every delivery once Redis is back")
    told = {
        (item.path, item.body["incident"]["incident_updates"][0]["id"])
        for item in receiver.received
    }
    assert told == {
        (f"/hooks/{n}", update["id"]) for n in range(hooks) for update in (first, second)
    }
    assert max(receiver.keys().values()) <= 2  # at most an in-flight send was repeated


async def test_jobs_lost_with_redis_go_out_as_soon_as_redis_is_back(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    receiver: Receiver,
    own_redis: RedisServer,
    spawn_worker: Spawn,
) -> None:
    hooks = 20
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    # Each first attempt fails, so every row waits in Redis as a job deferred to its retry.
    receiver.answer = lambda path, count: 503 if count == 1 else 200
    # The stale sweep is a minute away, as by default: only knowing the jobs were lost helps.
    spawn_worker(stale_after=60.0, retry_base=3.0, retry_cap=3.0)
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    async def retries_queued() -> bool:
        return len(receiver.attempts) == hooks and await pool.fetchval(
            "SELECT count(*) = $1 FROM deliveries WHERE status = 'pending'"
            " AND enqueued_at IS NOT NULL AND lease_until IS NULL",
            hooks,
        )

    await eventually(retries_queued, within=20, what="every retry queued")
    own_redis.stop()  # it keeps nothing on disk: every queued retry is gone
    own_redis.start()

    async def all_delivered() -> bool:
        rows = await settled_rows(pool)
        return len(rows) == hooks and all(row["status"] == "delivered" for row in rows)

    await eventually(all_delivered, within=15, what="every retry once Redis is back")
    assert set(receiver.keys()) == {key for _, key in receiver.attempts}


def test_herald_worker_starts_from_the_environment_and_stops_cleanly_on_sigterm(
    database: str, own_redis: RedisServer
) -> None:
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": own_redis.url}
    command = [sys.executable, "-c", "from app.cli import main; main(['worker'])"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "SECRET_KEY is not set" in refused.stderr

    env["SECRET_KEY"] = "x" * 40
    worker = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert worker.stderr is not None
    log = ""
    while "Starting worker" not in log:
        line = worker.stderr.readline()
        assert line, log
        log += line
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0
