"""A browser at an address with nothing there sees an HTML page; API clients keep the JSON
error; every HTML answer names its charset once."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org
from tests.api.test_public_surfaces import SECRET_KEY, assert_public_headers, token_pages

# What Chrome and Firefox send when they navigate to an address.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
NOWHERE = ["/", "/status/nope", "/status/acme/nope", "/status", "/nope", "/v1/nope"]
HTML = "text/html; charset=utf-8"


@pytest.fixture
async def client(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(database_url=database, redis_url=redis_url, secret_key=SECRET_KEY)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def test_a_browser_gets_an_html_page_where_nothing_is(
    client: AsyncTestClient, org: Org
) -> None:
    for path in NOWHERE:
        response = await client.get(path, headers={"Accept": BROWSER})
        assert response.status_code == 404, path
        assert response.headers["content-type"] == HTML, path
        assert response.headers["vary"] == "Accept", path
        assert_public_headers(response, path)
        assert "<h1>" in response.text and '"error"' not in response.text, path
        [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', response.text)
        assert (await client.get(stylesheet)).status_code == 200, path
    home = (await client.get("/", headers={"Accept": BROWSER})).text
    assert '<a href="/schema">API reference</a>' in home
    assert "/status/" in home
    # A status page's visitor is not pointed at the API's documentation.
    assert "/schema" not in (await client.get("/status/nope", headers={"Accept": BROWSER})).text


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, text/html;q=0.5", "text/html;q=inf"],
)
async def test_api_clients_and_curl_keep_the_json_error(
    client: AsyncTestClient, org: Org, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    for path in [*NOWHERE, "/status/nope/api/v2/summary.json"]:
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json", path
        assert response.json()["error"]["code"] == "not_found", path
        assert response.headers["vary"] == "Accept", path


async def test_an_api_resource_that_does_not_exist_stays_a_json_error_in_a_browser(
    client: AsyncTestClient, org: Org
) -> None:
    response = await client.get(
        f"/v1/incidents/{uuid.uuid4()}", headers={**org.headers, "Accept": BROWSER}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_every_html_answer_names_its_charset_once(client: AsyncTestClient, org: Org) -> None:
    for path in ["/status/acme", *await token_pages(client, org)]:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == HTML, path
    form = await client.post("/status/acme/subscribe", data={"email": "reader@example.com"})
    assert form.status_code == 202
    assert form.headers["content-type"] == HTML
