"""Connections to PostgreSQL: the application's pool, and single connections for commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import asyncpg

CONNECT_TIMEOUT = 5.0  # asyncpg waits 60 s by default; a command line should not


class DatabaseUnreachable(Exception):
    """PostgreSQL refused or did not answer; the message names where, never a password."""


async def create_pool(
    database_url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    keeps_session_state: bool = True,
    generic_plans: bool = False,
) -> asyncpg.Pool:
    """`keeps_session_state=False` is for code that leaves nothing on a session (no LISTEN,
    SET or session advisory lock): asyncpg then skips its reset query, a round trip on every
    release, and only rolls back a transaction left open.

    `generic_plans=True` is for statements whose best plan does not depend on their
    arguments. PostgreSQL otherwise keeps planning a prepared statement for each execution
    when it judges the arguments might matter, as it does for a command's load and write
    (arrays it cannot size, branches it cannot fold): planning them cost more than running
    them. A paginated read whose filter folds away with a null argument wants the opposite."""
    reset = None if keeps_session_state else _roll_back_only
    settings = {"plan_cache_mode": "force_generic_plan"} if generic_plans else None
    return await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        reset=reset,
        server_settings=settings,
    )


async def _roll_back_only(conn: asyncpg.Connection) -> None:
    """Nothing beyond what asyncpg's pool does before calling this: roll back an open
    transaction and drop listeners."""


async def connect(database_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        reason = str(error) or type(error).__name__
        raise DatabaseUnreachable(
            f"cannot connect to PostgreSQL at {where(database_url)}: {reason}"
        ) from error


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection, closed when the block ends."""
    conn = await connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


def where(database_url: str) -> str:
    """Host, port and database of a URL, without its credentials; a socket's directory too."""
    parts = urlsplit(database_url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    return f"{host}:{parts.port or 5432}{parts.path}"
