"""Scratch PostgreSQL databases: a migrated template, built once, and databases cloned from it."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg

from app.config import DEFAULT_DATABASE_URL
from app.store.migrate import SCHEMA_PATH, migrate, migration_files
from app.store.rebuild import PROJECTION_TABLES


def local_admin_url() -> str:
    """A database to connect to in order to create and drop others: TEST_ADMIN_DATABASE_URL."""
    return os.environ.get("TEST_ADMIN_DATABASE_URL", DEFAULT_DATABASE_URL)


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url` (a socket's query kept)."""
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


def template_name() -> str:
    """Named after the schema and its migrations, so a changed schema gets a template of its own."""
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes())
    for path in migration_files():
        digest.update(path.read_bytes())
    return f"herald_template_{digest.hexdigest()[:12]}"


async def ensure_template(admin_url: str, name: str) -> None:
    """Create and migrate database `name` unless it exists."""
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


@asynccontextmanager
async def scratch_database(
    template: str | None = None, *, admin_url: str | None = None
) -> AsyncIterator[str]:
    """A database of its own, dropped afterwards; cloned from `template` when given."""
    admin_url = admin_url or local_admin_url()
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


async def projection_rows(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, list[str]]:
    """Every projection row as text, by table: what a rebuild must reproduce exactly."""
    tables = {}
    for table in PROJECTION_TABLES:
        rows = await conn.fetch(f"SELECT t::text AS row FROM {table} t")
        tables[table] = sorted(row["row"] for row in rows)
    return tables
