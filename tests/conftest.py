"""Fixtures: every test gets its own PostgreSQL database, cloned from a migrated template."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.store.api_keys import SCOPES, create_api_key
from app.store.migrate import SCHEMA_PATH, migrate, migration_files

ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def database_url(name: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def _schema_fingerprint() -> str:
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes())
    for path in migration_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def _ensure_template(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        # Parallel test processes may all try to build it; one does, the others wait.
        await admin.execute("SELECT pg_advisory_lock(hashtext($1))", name)
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
            conn = await asyncpg.connect(database_url(name))
            try:
                await migrate(conn)
            finally:
                await conn.close()
        await admin.execute("SELECT pg_advisory_unlock(hashtext($1))", name)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def template_database() -> str:
    name = f"herald_template_{_schema_fingerprint()}"
    asyncio.run(_ensure_template(name))
    return name


@asynccontextmanager
async def scratch_database(template: str | None = None) -> AsyncIterator[str]:
    """A database of its own, dropped afterwards; cloned from `template` when given."""
    name = f"herald_test_{uuid.uuid4().hex}"
    clause = f' TEMPLATE "{template}"' if template else ""
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await admin.close()
    try:
        yield database_url(name)
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database(template_database: str) -> AsyncIterator[str]:
    """The URL of a fresh, migrated database that only this test uses."""
    async with scratch_database(template_database) as url:
        yield url


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=60)
    yield pool
    await pool.close()


@pytest.fixture
async def client(database: str) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(create_app(Settings(database_url=database))) as client:
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
