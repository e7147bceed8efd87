"""Notification fixtures: our own redis-server, a webhook receiver, a mailbox, workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import msgspec
import pytest
import redis
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from testkit.redis_server import RedisServer
from tests.api.conftest import org  # noqa: F401 - the organization fixture, shared
from tests.conftest import Services
from tests.workers.services import Mailbox, Receiver
from workers.runner import work

SECRET_KEY = "test-secret-key-not-for-production-0123456789"


@pytest.fixture(scope="session")
def redis_server(services: Services) -> Iterator[RedisServer]:
    server = RedisServer(services.redis_binary)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """This directory's tests use their own redis-server, emptied before each test."""
    client = redis.Redis(port=redis_server.port)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    server = Mailbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(database: str, redis_url: str, mailbox: Mailbox) -> Settings:
    """Fast retries and short timeouts, so a test sees a whole retry budget in a second."""
    return Settings(
        database_url=database,
        redis_url=redis_url,
        secret_key=SECRET_KEY,
        public_url="http://status.test",
        smtp_url=mailbox.url,
        mail_from="Acme Status <status@acme.test>",
        webhook_allow_private=True,
        send_timeout=2.0,
        delivery_attempts=4,
        retry_base=0.05,
        retry_cap=0.2,
        job_timeout=3.0,
        stale_after=0.5,
        poll_interval=0.2,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


StartWorker = Callable[..., None]


@pytest.fixture
async def start_worker(settings: Settings) -> AsyncIterator[StartWorker]:
    """Start in-process workers (dispatcher and job loop); all stop when the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task]] = []

    def start(**changes: object) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(work(msgspec.structs.replace(settings, **changes), stop))
        running.append((stop, task))

    yield start
    for stop, _ in running:
        stop.set()
    for _, task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
