"""GET /metrics: only for a scraper with METRICS_TOKEN, and cheap however often it is scraped."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.api.refreshed import Refreshed
from app.config import Settings, load_settings
from tests.api.conftest import Org, open_incident

TOKEN = "metrics-test-token-0123456789"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def open_client(database: str, redis_url: str) -> Callable:
    @asynccontextmanager
    async def open_(**settings: object) -> AsyncIterator[AsyncTestClient]:
        app = create_app(Settings(database_url=database, redis_url=redis_url, **settings))
        async with AsyncTestClient(app) as client:
            yield client

    return open_


@pytest.fixture
async def client(open_client: Callable) -> AsyncIterator[AsyncTestClient]:
    async with open_client(metrics_token=TOKEN) as client:
        yield client


def figure(text: str, name: str) -> float:
    [value] = re.findall(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(value)


async def post_internal_update(client: AsyncTestClient, org: Org, incident: dict) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "internal", "statusChange": "identified"},
        headers=org.headers,
    )
    assert response.status_code == 201, response.text


async def test_with_the_token_a_scraper_reads_every_figure(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post_internal_update(client, org, incident)
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    text = response.text
    assert 'herald_events_appended_total{type="UpdatePosted"} 1.0' in text
    assert 'herald_events_appended_total{type="StatusChanged"} 1.0' in text
    assert (
        'herald_http_request_duration_seconds_count{method="POST",'
        'route="/v1/incidents/{incident_id}/updates",status="201"} 1.0'
    ) in text
    assert figure(text, "herald_dispatcher_lag_events") >= 2
    assert "herald_delivery_queue_depth " in text
    assert figure(text, "herald_metrics_counted_timestamp_seconds") > 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"X-API-Key": TOKEN},
    ],
    ids=["none", "wrong", "not-bearer", "longer", "api-key-header"],
)
async def test_a_scrape_without_the_token_is_refused_and_counts_nothing(
    client: AsyncTestClient, headers: dict[str, str]
) -> None:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authorized"
    assert "herald_" not in response.text
    assert client.app.state.counted.loads == 0  # no aggregate ran for it


async def test_an_api_key_is_not_a_metrics_token(client: AsyncTestClient, org: Org) -> None:
    response = await client.get("/metrics", headers=org.headers)
    assert response.status_code == 401


async def test_without_a_token_configured_there_is_no_metrics_endpoint(
    open_client: Callable,
) -> None:
    async with open_client() as client:
        for headers in ({}, {"Authorization": "Bearer "}, SCRAPER):
            response = await client.get("/metrics", headers=headers)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        # Just like a path that does not exist.
        unknown = await client.get("/no-such-path")
        assert response.json()["error"]["message"] == unknown.json()["error"]["message"]
        assert client.app.state.counted.loads == 0


async def test_scrapes_in_quick_succession_count_once(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    first = (await client.get("/metrics", headers=SCRAPER)).text
    await post_internal_update(client, org, incident)  # two more events the dispatcher owes
    second = (await client.get("/metrics", headers=SCRAPER)).text
    # The figures from PostgreSQL are the ones counted for the first scrape...
    assert figure(second, "herald_dispatcher_lag_events") == figure(
        first, "herald_dispatcher_lag_events"
    )
    assert figure(second, "herald_metrics_counted_timestamp_seconds") == figure(
        first, "herald_metrics_counted_timestamp_seconds"
    )
    # ...while what this process counts itself is current.
    assert 'herald_events_appended_total{type="UpdatePosted"} 1.0' in second
    assert client.app.state.counted.loads == 1
    # Scrapers that arrive together share one count too.
    await asyncio.gather(*(client.get("/metrics", headers=SCRAPER) for _ in range(5)))
    assert client.app.state.counted.loads == 1


async def test_the_figures_are_counted_again_once_they_are_old_enough(
    open_client: Callable, org: Org
) -> None:
    async with open_client(metrics_token=TOKEN, metrics_refresh=0.0) as client:
        incident = await open_incident(client, org)
        first = (await client.get("/metrics", headers=SCRAPER)).text
        await post_internal_update(client, org, incident)
        second = (await client.get("/metrics", headers=SCRAPER)).text
    lag = figure(second, "herald_dispatcher_lag_events") - figure(
        first, "herald_dispatcher_lag_events"
    )
    assert lag == 2  # UpdatePosted and StatusChanged, not read by any dispatcher here


async def test_a_value_is_loaded_once_per_max_age_and_a_failed_load_is_retried() -> None:
    now, results = [100.0], iter([ValueError("down"), 1, 2])

    async def load() -> int:
        await asyncio.sleep(0)  # let the other callers queue up behind this load
        result = next(results)
        if isinstance(result, Exception):
            raise result
        return result

    value = Refreshed(load, max_age=15.0, clock=lambda: now[0])
    with pytest.raises(ValueError):
        await value.get()
    assert await asyncio.gather(*(value.get() for _ in range(10))) == [1] * 10
    assert value.loads == 2
    now[0] += 14.9
    assert await value.get() == 1
    now[0] += 0.1
    assert await value.get() == 2
    assert value.loads == 3


def test_the_settings_read_the_token_and_the_refresh_interval() -> None:
    settings = load_settings({"METRICS_TOKEN": f" {TOKEN}\n", "METRICS_REFRESH_SECONDS": "60"})
    assert settings.metrics_token == TOKEN
    assert settings.metrics_refresh == 60.0
    defaults = load_settings({"METRICS_TOKEN": ""})
    assert defaults.metrics_token is None
    assert defaults.metrics_refresh == 15.0
