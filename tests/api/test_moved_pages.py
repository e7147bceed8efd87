"""A status page whose slug changed keeps every address people hold: its former slugs answer
301 to the same path under the current one."""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org, open_incident
from tests.api.test_status_page import SURFACES, post
from tests.conftest import KeyMaker


async def rename(client: AsyncTestClient, org: Org, slug: str, **more: object) -> None:
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    response = await client.patch(
        f"/v1/status-pages/{pages[0]['id']}", json={"slug": slug, **more}, headers=org.headers
    )
    assert response.status_code == 200, response.text


async def test_every_address_under_a_former_slug_answers_301_to_the_current_one(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    for path in SURFACES:  # cached under the old address first
        assert (await client.get(path)).status_code == 200
    await rename(client, org, "acme-inc")

    paths = [
        *SURFACES,
        f"/status/acme/incidents/{incident['id']}",
        "/status/acme/history",
        "/status/acme/history?utm_source=mail",
    ]
    for path in paths:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 301, path
        assert response.headers["location"] == path.replace("/status/acme", "/status/acme-inc", 1)
        assert response.content == b""
        assert (await client.get(response.headers["location"])).status_code == 200, path
    # A form posted to the old address keeps its method and body.
    form = await client.post(
        "/status/acme/subscribe", data={"email": "reader@example.com"}, follow_redirects=False
    )
    assert form.status_code == 308
    assert form.headers["location"] == "/status/acme-inc/subscribe"

    # What is not there under the current slug either stays a 404, not a redirect.
    missing = await client.get(f"/status/acme/incidents/{uuid.uuid4()}", follow_redirects=False)
    assert missing.status_code == 301
    assert (await client.get(missing.headers["location"])).status_code == 404


async def test_a_page_renamed_again_sends_every_former_slug_to_its_current_one(
    client: AsyncTestClient, org: Org
) -> None:
    await rename(client, org, "acme-inc")
    await rename(client, org, "acme-corp")
    for old in ("acme", "acme-inc"):
        response = await client.get(f"/status/{old}", follow_redirects=False)
        assert response.headers["location"] == "/status/acme-corp", old
    await rename(client, org, "acme")  # back to the first: it is the page's address again
    assert (await client.get("/status/acme", follow_redirects=False)).status_code == 200
    for old in ("acme-inc", "acme-corp"):
        response = await client.get(f"/status/{old}", follow_redirects=False)
        assert response.headers["location"] == "/status/acme", old


async def test_a_former_slug_another_page_takes_is_that_pages_address(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    await rename(client, org, "acme-inc")
    other = await make_key("globex")
    component = await client.post("/v1/components", json={"name": "Globex"}, headers=other)
    created = await client.post(
        "/v1/status-pages",
        json={
            "name": "Globex",
            "slug": "acme",
            "componentIds": [component.json()["data"]["id"]],
            "published": True,
        },
        headers=other,
    )
    assert created.status_code == 201, created.text
    response = await client.get("/status/acme", follow_redirects=False)
    assert response.status_code == 200 and "Globex" in response.text


async def test_an_unpublished_page_does_not_answer_at_its_former_slugs(
    client: AsyncTestClient, org: Org
) -> None:
    await rename(client, org, "acme-inc", published=False)
    for slug in ("acme", "acme-inc"):
        assert (await client.get(f"/status/{slug}", follow_redirects=False)).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/status/%00acme/x", "/status/ACME/", "/status/acme%20/x", f"/status/{'a' * 300}/history"],
    ids=["nul", "upper", "space", "long"],
)
async def test_what_cannot_be_a_slug_is_a_plain_404(
    client: AsyncTestClient, org: Org, path: str
) -> None:
    await rename(client, org, "acme-inc")
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 404


async def test_with_public_url_the_redirect_is_absolute(
    database: str, redis_url: str, org: Org
) -> None:
    settings = Settings(
        database_url=database, redis_url=redis_url, public_url="https://status.example.com"
    )
    async with AsyncTestClient(create_app(settings)) as client:
        await rename(client, org, "acme-inc")
        response = await client.get(
            "/status/acme/history.atom", headers={"Host": "evil.example"}, follow_redirects=False
        )
        assert response.status_code == 301
        assert (
            response.headers["location"]
            == "https://status.example.com/status/acme-inc/history.atom"
        )
