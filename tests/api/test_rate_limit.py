"""Per-key rate limits in Redis, shared by every API process; failing open without Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from app.api.app import create_app
from app.api.rate_limit import LEASE_SECONDS, PAUSE_AFTER_FAILURE, RENEW_BEFORE, RateLimiter
from app.config import Settings
from testkit.redis_server import RedisServer
from tests.conftest import KeyMaker, Services


def limited_app(database: str, per_minute: int, redis_url: str):
    return create_app(
        Settings(database_url=database, redis_url=redis_url, rate_limit_per_minute=per_minute)
    )


async def test_the_budget_runs_out_with_429_and_headers(
    database: str, redis_url: str, make_key: KeyMaker
) -> None:
    headers = await make_key()
    # Three a minute: the budget refills one request per 20 s, far slower than this test.
    async with AsyncTestClient(limited_app(database, 3, redis_url)) as client:
        answers = [await client.get("/v1/components", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 3 + [429]
    assert [a.headers["ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert all(a.headers["ratelimit-limit"] == "3" for a in answers)
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_processes_share_one_budget(
    database: str, redis_url: str, make_key: KeyMaker
) -> None:
    headers = await make_key()
    async with (
        AsyncTestClient(limited_app(database, 4, redis_url)) as first,
        AsyncTestClient(limited_app(database, 4, redis_url)) as second,
    ):
        codes = [
            (await client.get("/v1/components", headers=headers)).status_code
            for client in (first, second, first, second, first, second)
        ]
    assert codes == [200, 200, 200, 200, 429, 429]


async def test_each_key_has_its_own_budget(
    database: str, redis_url: str, make_key: KeyMaker
) -> None:
    alice, bob = await make_key(), await make_key(name="Bob")
    async with AsyncTestClient(limited_app(database, 1, redis_url)) as client:
        assert (await client.get("/v1/components", headers=alice)).status_code == 200
        assert (await client.get("/v1/components", headers=alice)).status_code == 429
        assert (await client.get("/v1/components", headers=bob)).status_code == 200


async def test_incidentio_dialect_answers_in_its_documented_shape(
    database: str, redis_url: str, make_key: KeyMaker
) -> None:
    headers = await make_key()
    async with AsyncTestClient(limited_app(database, 1, redis_url)) as client:
        await client.get("/v1/components", headers=headers)
        response = await client.post("/v2/status_page_incident_updates", json={}, headers=headers)
    assert response.status_code == 429
    body = response.json()
    assert body["type"] == "too_many_requests" and body["status"] == 429
    assert body["rate_limit"]["limit"] == 1 and body["rate_limit"]["remaining"] == 0
    assert body["rate_limit"]["name"] == "Alice Chen"
    assert body["rate_limit"]["retry_after"].endswith(" UTC")
    assert body["errors"][0]["code"] == "too_many_requests"


async def test_without_redis_requests_are_let_through(
    database: str, make_key: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    headers = await make_key()
    app = limited_app(database, 1, f"redis://127.0.0.1:{port}/0")
    with caplog.at_level(logging.WARNING, logger="herald.rate_limit"):
        async with AsyncTestClient(app) as client:
            codes = [
                (await client.post("/v1/components", json={"name": f"C{n}"}, headers=headers))
                for n in range(3)
            ]
    assert [c.status_code for c in codes] == [201, 201, 201]
    assert "ratelimit-limit" not in codes[0].headers
    assert "rate limiter unavailable" in caplog.text


@contextlib.contextmanager
def silent_redis() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts connections and never answers: Redis hung, not down. A thread of
    its own accepts, whichever event loop the app runs on."""
    connections: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        with contextlib.suppress(OSError):  # closed on the way out
            while True:
                connections.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    with listener:
        try:
            yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0", connections
        finally:
            for connection in connections:
                connection.close()


async def test_a_silent_redis_is_asked_again_only_after_a_pause(
    database: str, make_key: KeyMaker
) -> None:
    headers = await make_key()
    with silent_redis() as (url, connections):
        async with AsyncTestClient(limited_app(database, 1, url)) as client:
            codes = [
                (await client.post("/v1/components", json={"name": f"C{n}"}, headers=headers))
                for n in range(3)
            ]
        asked = len(connections)
    assert [c.status_code for c in codes] == [201, 201, 201]
    assert asked == 1  # the later requests did not wait on Redis again


async def test_after_the_pause_one_request_at_a_time_asks_a_silent_redis() -> None:
    with silent_redis() as (url, connections):
        redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        limiter = RateLimiter(redis, 60)
        try:
            assert await limiter.check("key") is None
            await asyncio.sleep(PAUSE_AFTER_FAILURE + 0.05)
            decisions = await asyncio.gather(*(limiter.check("key") for _ in range(5)))
            asked = len(connections)
        finally:
            await redis.aclose()
    assert decisions == [None] * 5  # every request went through
    assert asked == 2  # the first request, then one of the five


async def test_processes_taking_leases_spend_exactly_the_budget(redis_url: str) -> None:
    """At 400 a minute each process takes four requests at a time from Redis."""
    redis = Redis.from_url(redis_url)
    first, second = RateLimiter(redis, 400), RateLimiter(redis, 400)
    key = f"lease-{uuid.uuid4()}"
    try:
        decisions = [await limiter.check(key) for _ in range(201) for limiter in (first, second)]
    finally:
        await redis.aclose()
    assert [d.allowed for d in decisions] == [True] * 400 + [False] * 2
    remaining = [d.remaining for d in decisions[:400]]
    assert remaining[0] == 399 and remaining[-1] == 0
    # Each process counts down from what Redis told it; neither ever claims more than is left.
    assert all(r <= 399 - n + 4 for n, r in enumerate(remaining))
    assert decisions[-1].headers()["Retry-After"] == str(decisions[-1].reset_seconds)


async def test_a_busy_keys_requests_do_not_wait_for_redis_when_its_lease_ends(
    services: Services,
) -> None:
    """The lease is renewed while requests still spend it, so the request after its end is
    answered while Redis is paused."""
    server = RedisServer(services.redis_binary)
    server.start()
    redis = Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)
    limiter = RateLimiter(redis, 60_000)
    try:
        assert (await limiter.check("key")).allowed
        await asyncio.sleep(LEASE_SECONDS - RENEW_BEFORE / 2)
        assert (await limiter.check("key")).allowed  # spent near the lease's end
        await asyncio.sleep(RENEW_BEFORE)  # the first lease is over
        pauser = Redis.from_url(server.url)
        await pauser.execute_command("CLIENT", "PAUSE", "1500", "ALL")
        try:
            decision = await asyncio.wait_for(limiter.check("key"), 0.5)
        finally:
            await pauser.execute_command("CLIENT", "UNPAUSE")
            await pauser.aclose()
    finally:
        await redis.aclose()
        server.remove()
    assert decision is not None and decision.allowed
