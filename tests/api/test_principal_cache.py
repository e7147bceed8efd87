"""API keys: principals served from memory, revocations heard by every process within a second."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import asyncpg
from litestar.testing import AsyncTestClient

from app.store.api_keys import revoke_api_key
from tests.conftest import KeyMaker


class KeyLookups:
    """The application's pool, counting the statements that read api_keys."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.count = pool, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    async def fetchrow(self, query: str, *args: Any) -> Any:
        self.count += "FROM api_keys" in query
        return await self.pool.fetchrow(query, *args)


async def listening(client: AsyncTestClient) -> None:
    deadline = time.monotonic() + 5
    while not client.app.state.principals.listening:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


async def key_id_of(pool: asyncpg.Pool) -> UUID:
    return await pool.fetchval("SELECT id FROM api_keys ORDER BY created_at DESC LIMIT 1")


async def refused_within_a_second(client: AsyncTestClient, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 1
    while (await client.get("/v1/components", headers=headers)).status_code != 401:
        assert time.monotonic() < deadline, "the revoked key still works"
        await asyncio.sleep(0.02)


async def test_a_known_key_is_not_looked_up_again_and_its_revocation_is_heard(
    client: AsyncTestClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    headers = await make_key()
    await listening(client)
    lookups = KeyLookups(client.app.state.pool)
    client.app.state.pool = lookups
    try:
        for _ in range(5):
            assert (await client.get("/v1/components", headers=headers)).status_code == 200
        assert lookups.count == 1
        async with pool.acquire() as conn:
            assert await revoke_api_key(conn, await key_id_of(pool))
        await refused_within_a_second(client, headers)
    finally:
        client.app.state.pool = lookups.pool


async def test_while_revocations_cannot_be_heard_every_request_looks_its_key_up(
    client: AsyncTestClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    headers = await make_key()
    await listening(client)
    assert (await client.get("/v1/components", headers=headers)).status_code == 200
    listener_pid = client.app.state.principals._listener.get_server_pid()
    await pool.execute("SELECT pg_terminate_backend($1)", listener_pid)
    deadline = time.monotonic() + 5
    while client.app.state.principals.listening:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    # Revoked while no one listens: no notice will come, and the key is refused all the same.
    async with pool.acquire() as conn:
        assert await revoke_api_key(conn, await key_id_of(pool))
    assert (await client.get("/v1/components", headers=headers)).status_code == 401
