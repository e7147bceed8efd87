"""A webhook URL written with a special-purpose address is refused when the subscriber is added,
unless WEBHOOK_ALLOW_PRIVATE is on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org

SECRET_KEY = "api-test-secret-key-0123456789abcdefghij"

# Addresses ipaddress's is_global lets through on some Python releases.
SPECIAL = [
    "http://[::a00:1]/hook",  # IPv4-compatible ::/96
    "http://[::ffff:0:a00:1]/hook",  # IPv4-translated ::ffff:0:0:0/96
    "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64 prefix, 10.0.0.1 inside
    "http://192.0.0.1/hook",  # IETF Protocol Assignments
    "http://192.88.99.1/hook",  # 6to4 relay anycast, deprecated
    "http://[fec0::1]/hook",  # site-local, deprecated
    "http://[2001:0:808:808::fefe:fefe]/hook",  # Teredo
]


@pytest.fixture(params=[False, True], ids=["guarded", "allow-private"])
async def client(
    request: pytest.FixtureRequest, database: str, redis_url: str
) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(
        database_url=database,
        redis_url=redis_url,
        secret_key=SECRET_KEY,
        webhook_allow_private=request.param,
    )
    async with AsyncTestClient(create_app(settings)) as client:
        client.allow_private = request.param  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize("url", SPECIAL)
async def test_special_purpose_addresses_are_refused_unless_private_ones_are_allowed(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, url: str
) -> None:
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]["id"]
    response = await client.post(
        f"/v1/status-pages/{page}/subscribers",
        json={"channel": "webhook", "url": url},
        headers=org.headers,
    )
    if client.allow_private:  # type: ignore[attr-defined]
        assert response.status_code == 201, response.text
        assert await pool.fetchval("SELECT count(*) FROM subscribers") == 1
    else:
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["fields"] == [
            {"field": "url", "message": "url points to an address that is not public"}
        ]
        assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0
