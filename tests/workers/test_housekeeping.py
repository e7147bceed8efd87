"""The worker's periodic clean-up removes expired idempotency keys and nothing else."""

from __future__ import annotations

from types import SimpleNamespace

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org
from workers.housekeeping import expire_idempotency_keys


async def test_expired_idempotency_keys_are_removed(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    for key in ("old", "new"):
        headers = {**org.headers, "Idempotency-Key": key}
        await client.post("/v1/components", json={"name": key}, headers=headers)
    await pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'"
    )
    assert await expire_idempotency_keys({"herald": SimpleNamespace(pool=pool)}) == 1
    remaining = await pool.fetch("SELECT key FROM idempotency_keys")
    assert [row["key"] for row in remaining] == ["new"]
