"""Apply schema.sql to an empty database, then any numbered migration not yet recorded."""

from __future__ import annotations

from pathlib import Path

import asyncpg

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema.sql"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0000_schema"

# Any constant shared by every replica; several may start and migrate at once.
MIGRATION_LOCK_KEY = 0x6865_7261_6C64  # "herald"


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Bring the database to the current schema; returns the names applied, [] when current.

    A fresh database gets schema.sql, which already contains every numbered migration, so those
    are recorded as applied. A database made from an older schema.sql gets the missing files.
    """
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            if BASELINE not in done:
                await conn.execute(SCHEMA_PATH.read_text())
                applied = [BASELINE]
                recorded = [BASELINE, *(path.stem for path in migration_files())]
            else:
                pending = [path for path in migration_files() if path.stem not in done]
                for path in pending:
                    await conn.execute(path.read_text())
                applied = recorded = [path.stem for path in pending]
            await conn.executemany(
                "INSERT INTO schema_migrations (name) VALUES ($1)", [(n,) for n in recorded]
            )
            return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
