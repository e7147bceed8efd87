"""Per-client limits behind a reverse proxy: X-Forwarded-For counts only from TRUSTED_PROXIES.

The API runs under uvicorn as `herald serve` runs it, and the requests come from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from app.api.app import create_app
from app.cli import main, server_options
from app.config import SettingInvalid, Settings, load_settings
from app.store.subscription_requests import REQUESTS_PER_CLIENT
from tests.api.conftest import Org


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API as `herald serve` runs it, on a port of its own on loopback."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    options = server_options(settings) | {"port": sock.getsockname()[1], "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{options['port']}") as client:
            yield client
    finally:
        server.should_exit = True
        await task


async def subscribe(client: httpx.AsyncClient, n: int, forwarded_for: str) -> int:
    response = await client.post(
        "/status/acme/subscribe",
        json={"email": f"reader{n}@example.com"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


async def clients_seen(pool: asyncpg.Pool) -> set[str]:
    return {row["client"] for row in await pool.fetch("SELECT client FROM subscription_requests")}


@pytest.mark.parametrize("trusted", [(), ("10.0.0.0/8", "192.0.2.1")])
async def test_a_peer_that_is_no_trusted_proxy_cannot_dodge_the_limit_with_x_forwarded_for(
    org: Org, pool: asyncpg.Pool, database: str, redis_url: str, trusted: tuple[str, ...]
) -> None:
    settings = Settings(database_url=database, redis_url=redis_url, trusted_proxies=trusted)
    async with served(settings) as client:
        codes = [
            await subscribe(client, n, f"198.51.100.{n}") for n in range(REQUESTS_PER_CLIENT + 1)
        ]
    assert codes == [202] * REQUESTS_PER_CLIENT + [429]
    assert await clients_seen(pool) == {"127.0.0.1"}


async def test_behind_trusted_proxies_each_client_has_its_own_budget_and_cannot_forge_one(
    org: Org, pool: asyncpg.Pool, database: str, redis_url: str
) -> None:
    settings = Settings(
        database_url=database, redis_url=redis_url, trusted_proxies=("127.0.0.1/32", "10.0.0.0/8")
    )
    async with served(settings) as client:
        # Many clients behind the same proxy: none of them is refused.
        many = [
            await subscribe(client, n, f"198.51.100.{n}") for n in range(REQUESTS_PER_CLIENT + 1)
        ]
        assert many == [202] * (REQUESTS_PER_CLIENT + 1)
        # One client making up addresses in front of its own: the proxies (here two, the inner
        # at 10.0.0.2) append what they saw, and the right-most untrusted address is the client.
        forged = [
            await subscribe(client, 100 + n, f"203.0.113.{n}, 192.0.2.7, 10.0.0.2")
            for n in range(REQUESTS_PER_CLIENT + 1)
        ]
    assert forged == [202] * REQUESTS_PER_CLIENT + [429]
    assert "192.0.2.7" in await clients_seen(pool)
    assert not any(seen.startswith("203.0.113.") for seen in await clients_seen(pool))


async def test_an_ipv6_client_counts_by_its_64_whatever_address_it_picks_in_it(
    org: Org, pool: asyncpg.Pool, database: str, redis_url: str
) -> None:
    settings = Settings(database_url=database, redis_url=redis_url, trusted_proxies=("127.0.0.1",))
    async with served(settings) as client:
        # A new privacy address for each request, all in 2001:db8:0:1::/64.
        hopping = [
            await subscribe(client, n, f"2001:db8:0:1:{n + 1:x}::1")
            for n in range(REQUESTS_PER_CLIENT + 1)
        ]
        neighbour = await subscribe(client, 99, "2001:db8:0:2::1")
    assert hopping == [202] * REQUESTS_PER_CLIENT + [429]
    assert neighbour == 202  # the next /64 is another client
    assert await clients_seen(pool) == {"2001:db8:0:1::/64", "2001:db8:0:2::/64"}


def test_trusted_proxies_are_addresses_or_networks_and_anything_else_is_refused() -> None:
    settings = load_settings({"TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.1 ,2001:db8::/32"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32")
    assert load_settings({}).trusted_proxies == ()
    for wrong in ("proxy.internal", "10.0.0.1/8", "*", "10.0.0.0/33"):
        with pytest.raises(SettingInvalid, match="TRUSTED_PROXIES"):
            load_settings({"TRUSTED_PROXIES": wrong})
    refused = CliRunner().invoke(main, ["status"], env={"TRUSTED_PROXIES": "proxy.internal"})
    assert refused.exit_code == 1
    assert "TRUSTED_PROXIES: 'proxy.internal' is not an IP address" in refused.output
