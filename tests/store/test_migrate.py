"""`herald migrate`: idempotent and safe when several replicas start at once."""

from __future__ import annotations

import asyncio

import asyncpg

from app.store.migrate import BASELINE, migrate, migration_files
from tests.conftest import Services, scratch_database


async def test_migrate_twice_applies_once(services: Services) -> None:
    async with scratch_database(admin_url=services.admin_url) as url:
        conn = await asyncpg.connect(url)
        try:
            assert await migrate(conn) == [BASELINE]
            assert await migrate(conn) == []
            names = await conn.fetch("SELECT name FROM schema_migrations")
            # schema.sql already holds every numbered migration, so they count as applied.
            expected = [BASELINE, *(path.stem for path in migration_files())]
            assert sorted(row["name"] for row in names) == sorted(expected)
        finally:
            await conn.close()


async def test_concurrent_migrations_serialize(services: Services) -> None:
    async with scratch_database(admin_url=services.admin_url) as url:
        conns = [await asyncpg.connect(url) for _ in range(4)]
        try:
            results = await asyncio.gather(*(migrate(conn) for conn in conns))
            assert sorted(results) == [[], [], [], [BASELINE]]
            assert await conns[0].fetchval("SELECT count(*) FROM events") == 0
        finally:
            for conn in conns:
                await conn.close()
