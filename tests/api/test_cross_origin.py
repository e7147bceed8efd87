"""Widgets on other sites read the public JSON and feeds; nothing else is readable cross-origin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org
from tests.api.test_public_surfaces import SECRET_KEY, token_pages
from tests.api.test_status_page import SURFACES

WIDGET = "https://widget.example"
# The JSON and the feeds: every public surface but the HTML page.
READABLE = [path for path in SURFACES if path != "/status/acme"]


def preflight_headers(method: str = "GET") -> dict[str, str]:
    """What a browser sends before a fetch() that carries a header of its own."""
    return {
        "Origin": WIDGET,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "if-none-match",
    }


@pytest.fixture
async def client(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(database_url=database, redis_url=redis_url, secret_key=SECRET_KEY)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def test_public_json_and_feeds_are_readable_from_any_origin(
    client: AsyncTestClient, org: Org
) -> None:
    for path in READABLE:
        response = await client.get(path, headers={"Origin": WIDGET})
        assert response.status_code == 200, path
        assert response.headers["access-control-allow-origin"] == "*", path
        # A widget may revalidate with the ETag, so it must be able to read it.
        exposed = response.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed, path
        assert "access-control-allow-credentials" not in response.headers, path

        preflight = await client.options(path, headers=preflight_headers())
        assert preflight.status_code in (200, 204), path
        assert preflight.headers["access-control-allow-origin"] == "*", path
        assert "GET" in preflight.headers["access-control-allow-methods"], path
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert allowed == "*" or "if-none-match" in allowed, path
        assert "access-control-allow-credentials" not in preflight.headers, path

    # A widget can tell an unknown page from a network failure.
    missing = await client.get("/status/nope/api/v2/summary.json", headers={"Origin": WIDGET})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "*"
    assert missing.json()["error"]["code"] == "not_found"


async def test_the_api_pages_and_forms_stay_closed_to_other_origins(
    client: AsyncTestClient, org: Org
) -> None:
    incidents = await client.get("/v1/incidents", headers={**org.headers, "Origin": WIDGET})
    assert incidents.status_code == 200
    answers = [incidents]
    for path in ["/v1/incidents", "/v1/components"]:
        answers.append(await client.options(path, headers=preflight_headers("POST")))
    for path in ["/status/acme", *await token_pages(client, org)]:
        answers.append(await client.get(path, headers={"Origin": WIDGET}))
        answers.append(await client.options(path, headers=preflight_headers()))
    answers.append(
        await client.post(
            "/status/acme/subscribe", json={"email": "a@example.com"}, headers={"Origin": WIDGET}
        )
    )
    answers.append(
        await client.options("/status/acme/subscribe", headers=preflight_headers("POST"))
    )
    for answer in answers:
        cors = [name for name in answer.headers if name.lower().startswith("access-control-")]
        assert cors == [], (answer.request.method, answer.request.url, cors)
