"""Fixtures: every test gets its own PostgreSQL database, cloned from a migrated template.

PostgreSQL and Redis are the local ones when they answer (or TEST_ADMIN_DATABASE_URL names
one), embedded ones otherwise, or always with HERALD_EMBEDDED=1: the rule of `herald up`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, Settings
from app.embedded import EmbeddedPostgres, RedisProcess, forced, redis_server_binary, should_embed
from app.store.api_keys import SCOPES, create_api_key
from app.store.migrate import SCHEMA_PATH, migrate, migration_files
from app.store.rebuild import PROJECTION_TABLES

# What a script outside the test session (bench/) uses; tests take the `services` fixture.
LOCAL_ADMIN_URL = os.environ.get("TEST_ADMIN_DATABASE_URL", DEFAULT_DATABASE_URL)


class Services(msgspec.Struct, frozen=True, kw_only=True):
    admin_url: str  # a database the tests connect to in order to create and drop their own
    redis_url: str
    redis_binary: str  # for tests that run a redis-server of their own


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The run's PostgreSQL and Redis; embedded ones live in a temporary directory."""
    force = forced(os.environ)
    with ExitStack() as stop:
        admin_url, redis_url = LOCAL_ADMIN_URL, DEFAULT_REDIS_URL
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
def redis_url(services: Services) -> str:
    return services.redis_url


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url` (a socket's query kept)."""
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


def _schema_fingerprint() -> str:
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes())
    for path in migration_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def _ensure_template(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        # Parallel test processes may all try to build it; one does, the others wait.
        await admin.execute("SELECT pg_advisory_lock(hashtext($1))", name)
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
            conn = await asyncpg.connect(database_url(admin_url, name))
            try:
                await migrate(conn)
            finally:
                await conn.close()
        await admin.execute("SELECT pg_advisory_unlock(hashtext($1))", name)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def template_database(services: Services) -> str:
    name = f"herald_template_{_schema_fingerprint()}"
    asyncio.run(_ensure_template(services.admin_url, name))
    return name


async def projection_rows(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, list[str]]:
    """Every projection row as text, by table: what a rebuild must reproduce exactly."""
    tables = {}
    for table in PROJECTION_TABLES:
        rows = await conn.fetch(f"SELECT t::text AS row FROM {table} t")
        tables[table] = sorted(row["row"] for row in rows)
    return tables


@asynccontextmanager
async def scratch_database(
    template: str | None = None, *, admin_url: str = LOCAL_ADMIN_URL
) -> AsyncIterator[str]:
    """A database of its own, dropped afterwards; cloned from `template` when given."""
    name = f"herald_test_{uuid.uuid4().hex}"
    clause = f' TEMPLATE "{template}"' if template else ""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await admin.close()
    try:
        yield database_url(admin_url, name)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database(template_database: str, services: Services) -> AsyncIterator[str]:
    """The URL of a fresh, migrated database that only this test uses."""
    async with scratch_database(template_database, admin_url=services.admin_url) as url:
        yield url


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
