"""Public pages served from memory: no SQL while nothing changes, one render per change, and
never an answer older than a change this process or another one has committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.store.page_changes import APPLICATION_NAME
from app.store.rebuild import rebuild_projections
from bench.harness import serve
from tests.api.conftest import Org, open_incident
from tests.api.test_status_page import SURFACES, post
from tests.workers.services import Receiver

SHOWS_UPDATES = [
    "/status/acme",
    "/status/acme/api/v2/summary.json",
    "/status/acme/api/v2/incidents.json",
    "/status/acme/api/v2/incidents/unresolved.json",
    "/status/acme/history.atom",
    "/status/acme/history.rss",
]


class CountingPool:
    """The application's pool, counting every statement sent through it."""

    COUNTED = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany", "acquire"})

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        if name in self.COUNTED:
            self.statements += 1
        return getattr(self.pool, name)


def counted(client: AsyncTestClient) -> CountingPool:
    counting = CountingPool(client.app.state.pool)
    client.app.state.pool = counting
    if hasattr(client.app.state, "page_cache"):
        client.app.state.page_cache.pool = counting
    return counting


async def away_from_the_minute_turn() -> None:
    """Pages are rendered again when the minute turns (the uptime bars move): not mid-test."""
    second = datetime.now(UTC).second
    if second > 45:
        await asyncio.sleep(61 - second)


@pytest.fixture
async def replica(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    """A second API process on the same database."""
    settings = Settings(database_url=database, redis_url=redis_url)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def shows(client: AsyncTestClient, path: str, text: str, *, within: float = 1.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        if text in (await client.get(path)).text:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)


async def test_a_steady_read_runs_no_sql(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    await away_from_the_minute_turn()
    for path in [*SURFACES, "/status/nowhere"]:
        await client.get(path)
    pool = counted(client)
    for _ in range(20):
        for path in SURFACES:
            assert (await client.get(path)).status_code == 200
    assert pool.statements == 0


async def test_a_burst_after_a_change_renders_once(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    path = "/status/acme/api/v2/summary.json"
    await away_from_the_minute_turn()
    pool = counted(client)
    await post(client, org, incident, {"visibility": "public", "body": "First."})
    pool.statements = 0
    await client.get(path)
    one_render = pool.statements
    assert one_render > 0
    await post(client, org, incident, {"visibility": "public", "body": "Second."})
    pool.statements = 0
    answers = await asyncio.gather(*(client.get(path) for _ in range(64)))
    assert all("Second." in answer.text for answer in answers)
    assert 0 < pool.statements <= one_render  # one render; the address was already known


async def test_every_change_is_read_back_at_once(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    for path in SURFACES:
        await client.get(path)
    await post(client, org, incident, {"visibility": "public", "body": "Fix deployed."})
    for path in SHOWS_UPDATES:
        assert "Fix deployed." in (await client.get(path)).text, path
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    renamed = await client.patch(
        f"/v1/status-pages/{pages[0]['id']}", json={"name": "Acme Cloud"}, headers=org.headers
    )
    assert renamed.status_code == 200, renamed.text
    for path in SURFACES:
        assert "Acme Cloud" in (await client.get(path)).text, path
    unpublished = await client.patch(
        f"/v1/status-pages/{pages[0]['id']}", json={"published": False}, headers=org.headers
    )
    assert unpublished.status_code == 200, unpublished.text
    for path in SURFACES:
        assert (await client.get(path)).status_code == 404, path


async def test_another_process_never_serves_a_redaction_past_its_notification(
    client: AsyncTestClient, replica: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    leaked = await post(
        client, org, incident, {"visibility": "public", "body": "Customer 4111-1111 affected"}
    )
    for path in SHOWS_UPDATES:
        assert await shows(replica, path, "Customer 4111"), path
    redact = f"/v1/incidents/{incident['id']}/updates/{leaked['id']}/redact"
    assert (await client.post(redact, headers=org.headers)).status_code == 200
    await asyncio.sleep(0.2)  # far more than a NOTIFY takes on one machine
    for path in SHOWS_UPDATES:
        response = await replica.get(path)
        assert "Customer 4111" not in response.text, path
        assert "This update was redacted" in response.text or "redacted" in response.text, path


async def test_two_server_processes_see_each_others_changes_within_a_second(
    database: str, redis_url: str, make_key: Any
) -> None:
    headers = await make_key()
    env = {"DATABASE_URL": database, "REDIS_URL": redis_url}
    await asyncio.to_thread(changes_cross_between_servers, env, headers)


def changes_cross_between_servers(env: dict[str, str], headers: dict[str, str]) -> None:
    with (
        serve("bench.harness:herald_app", env) as first,
        serve("bench.harness:herald_app", env) as second,
    ):
        component = httpx.post(f"{first}/v1/components", json={"name": "API"}, headers=headers)
        page = {"name": "Acme", "slug": "acme", "published": True}
        page["componentIds"] = [component.json()["data"]["id"]]
        assert httpx.post(f"{first}/v1/status-pages", json=page, headers=headers).is_success
        incident = httpx.post(
            f"{first}/v1/incidents",
            json={"title": "Errors", "severity": "minor", "componentIds": page["componentIds"]},
            headers=headers,
        ).json()["data"]
        summary = "/status/acme/api/v2/summary.json"
        for round_ in range(3):
            for url in (first, second):
                assert httpx.get(url + summary).status_code == 200
            body = f"Round {round_} of the fix."
            writer, reader = (first, second) if round_ % 2 == 0 else (second, first)
            update = {"visibility": "public", "body": body}
            posted = httpx.post(
                f"{writer}/v1/incidents/{incident['id']}/updates", json=update, headers=headers
            )
            assert posted.status_code == 201, posted.text
            started = time.monotonic()
            while body not in httpx.get(reader + summary).text:
                assert time.monotonic() - started < 1.0, f"round {round_}: not seen in 1 s"
                time.sleep(0.02)


async def test_a_lost_connection_is_no_excuse_for_an_old_page(
    client: AsyncTestClient, replica: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Before."})
    for path in SHOWS_UPDATES:
        assert await shows(replica, path, "Before."), path
    # Every listening connection of both processes goes; notifications sent now reach nobody.
    await pool.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    await post(client, org, incident, {"visibility": "public", "body": "After."})
    # Within a second, well before the periodic check (5 s): the replica renders afresh as soon
    # as its event loop learns that the connection is gone.
    for path in SHOWS_UPDATES:
        assert await shows(replica, path, "After."), path


async def test_a_missed_notification_is_caught_by_the_periodic_check(
    database: str, redis_url: str, client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    settings = Settings(database_url=database, redis_url=redis_url, page_check_seconds=0.2)
    async with AsyncTestClient(create_app(settings)) as checking:
        incident = await open_incident(client, org)
        await post(client, org, incident, {"visibility": "public", "body": "Before."})
        assert await shows(checking, "/status/acme", "Before.")
        # As if the notification were lost on the way: the change commits without one.
        await pool.execute("ALTER TABLE events DISABLE TRIGGER events_notify_pages")
        try:
            await post(client, org, incident, {"visibility": "public", "body": "Unannounced."})
        finally:
            await pool.execute("ALTER TABLE events ENABLE TRIGGER events_notify_pages")
        assert await shows(checking, "/status/acme", "Unannounced.", within=2.0)


async def test_a_rebuild_makes_every_page_render_again(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    await away_from_the_minute_turn()
    await client.get("/status/acme")
    counting = counted(client)
    async with pool.acquire() as conn:
        # As a rebuild that finds the log changed behind the projections' back would.
        await conn.execute("UPDATE incidents SET title = 'Rebuilt title'")
        await rebuild_projections(conn)
    await asyncio.sleep(0.2)
    response = await client.get("/status/acme")
    assert counting.statements > 0
    assert "Payments elevated error rate" in response.text


async def test_shared_caches_may_serve_a_little_stale_but_not_for_long(
    client: AsyncTestClient, org: Org
) -> None:
    for path in SURFACES:
        directives = {
            part.strip().split("=")[0]: part.strip().split("=")[-1]
            for part in (await client.get(path)).headers["cache-control"].split(",")
        }
        assert directives["max-age"] == "10", path
        assert 0 < int(directives["stale-while-revalidate"]) <= 60, path
        assert 0 < int(directives["stale-if-error"]) <= 600, path


@pytest.fixture
async def cdn() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


async def test_a_redaction_tells_the_cdn_to_drop_the_pages(
    database: str, redis_url: str, client: AsyncTestClient, org: Org, cdn: Receiver
) -> None:
    settings = Settings(
        database_url=database,
        redis_url=redis_url,
        public_url="https://status.example.com",
        cdn_purge_url=cdn.url("/purge"),
    )
    async with AsyncTestClient(create_app(settings)):
        incident = await open_incident(client, org)
        leaked = await post(
            client, org, incident, {"visibility": "public", "body": "Customer 4111 affected"}
        )
        await asyncio.sleep(0.3)
        assert cdn.received == []  # other changes wait out the short max-age
        redact = f"/v1/incidents/{incident['id']}/updates/{leaked['id']}/redact"
        assert (await client.post(redact, headers=org.headers)).status_code == 200
        for _ in range(100):
            if cdn.received:
                break
            await asyncio.sleep(0.02)
    [purge] = cdn.received
    page = "https://status.example.com/status/acme"
    assert purge.path == "/purge"
    assert f"{page}/api/v2/summary.json" in purge.body["paths"]
    assert page in purge.body["paths"]
    assert purge.body["prefixes"] == [f"{page}/"]
