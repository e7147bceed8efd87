"""Public answers: browser security headers, addresses that never come from the Host header,
images that load nothing, and conditional GETs that never hide a redaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import asyncpg
import feedparser
import httpx
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.crypto import Keys
from app.present.markdown import render_markdown
from tests.api.conftest import Org, open_incident
from tests.api.test_status_page import SURFACES, post

SECRET_KEY = "public-surfaces-test-secret-0123456789abcdef"
PUBLIC_URL = "https://status.example.com"
HOSTILE = "evil.example"


@pytest.fixture
async def client(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    """Without PUBLIC_URL, the usual case of a first install; with SECRET_KEY for token pages."""
    settings = Settings(database_url=database, redis_url=redis_url, secret_key=SECRET_KEY)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def token_pages(client: AsyncTestClient, org: Org) -> list[str]:
    """The confirm and unsubscribe pages of a new email subscriber of the page "acme"."""
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    created = await client.post(
        f"/v1/status-pages/{pages[0]['id']}/subscribers",
        json={"channel": "email", "address": "reader@example.com"},
        headers=org.headers,
    )
    assert created.status_code == 201, created.text
    subscriber = uuid.UUID(created.json()["data"]["id"])
    keys = Keys(SECRET_KEY)
    confirm = keys.token("confirm", subscriber, datetime(2999, 1, 1, tzinfo=UTC))
    unsubscribe = keys.token("unsubscribe", subscriber)
    return [
        f"/status/acme/subscriptions/confirm?token={confirm}",
        f"/status/acme/unsubscribe?token={unsubscribe}",
        f"/status/acme/subscription?token={unsubscribe}",
    ]


async def published(client: AsyncTestClient, org: Org, body: str) -> dict:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": body})
    return incident


def assert_public_headers(response: httpx.Response, what: str) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff", what
    assert headers["x-frame-options"] == "DENY", what
    assert headers["referrer-policy"] == "no-referrer", what
    directives = headers["content-security-policy"].split(";")
    policy = dict(directive.strip().partition(" ")[::2] for directive in directives)
    assert policy["default-src"] == "'none'", what
    assert policy["frame-ancestors"] == "'none'", what
    for directive in ("style-src", "img-src", "form-action"):
        assert policy[directive] == "'self'", (what, directive)
    assert "script-src" not in policy, what  # default-src 'none': no script at all


async def test_every_public_answer_carries_the_security_headers(
    client: AsyncTestClient, org: Org
) -> None:
    await published(client, org, "We are investigating.")
    tokens = await token_pages(client, org)
    for path in [*SURFACES, *tokens, "/status/nope"]:
        response = await client.get(path)
        assert response.status_code in (200, 404), path
        assert_public_headers(response, path)
    for path in tokens:
        shown = await client.get(path)
        assert "reader@example.com" in shown.text
        assert shown.headers["cache-control"] == "no-store", path  # an address: never cached
    form = await client.post("/status/acme/subscribe", data={"email": "not an address"})
    assert form.status_code == 422 and form.headers["content-type"].startswith("text/html")
    assert_public_headers(form, "subscribe form")
    etag = (await client.get("/status/acme")).headers["etag"]
    not_modified = await client.get("/status/acme", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert_public_headers(not_modified, "304")
    # The API's own answers are never sniffed into something else either.
    api = await client.get("/v1/incidents", headers=org.headers)
    assert api.headers["x-content-type-options"] == "nosniff"


async def test_pages_work_under_their_policy_with_no_inline_style_or_script(
    client: AsyncTestClient, org: Org
) -> None:
    await published(client, org, "We are investigating.")
    for path in ["/status/acme", *await token_pages(client, org)]:
        html = (await client.get(path)).text
        assert not re.search(r"<style|<script|\sstyle=|\son[a-z]+=", html), path
        [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        assert stylesheet.startswith("/status/_assets/"), path  # 'self', under the public prefix
        css = await client.get(stylesheet)
        assert css.status_code == 200, path
        assert css.headers["content-type"].startswith("text/css")
        assert css.headers["x-content-type-options"] == "nosniff"
        assert "body {" in css.text


async def test_a_remote_markdown_image_renders_as_a_link_and_loads_nothing(
    client: AsyncTestClient, org: Org
) -> None:
    pixel = "https://tracker.example/pixel.gif?reader=1"
    await published(client, org, f"Investigating. ![status graph]({pixel})")
    html = (await client.get("/status/acme")).text
    assert "<img" not in html
    assert (
        '<a href="https://tracker.example/pixel.gif?reader=1" rel="nofollow noopener">'
        "status graph</a>"
    ) in html
    for path in ("/status/acme/history.atom", "/status/acme/history.rss"):
        feed = feedparser.parse((await client.get(path)).content)
        content = feed.entries[0].get("content", [{}])[0].get("value") or feed.entries[0].summary
        assert "<img" not in content, path
        assert "status graph</a>" in content, path


def test_an_image_inside_a_link_is_its_text_and_never_a_nested_link() -> None:
    html = render_markdown("[![graph](https://tracker.example/p.gif)](https://example.com/x)")
    assert str(html).strip() == (
        '<p><a href="https://example.com/x" rel="nofollow noopener">graph</a></p>'
    )


def test_bare_urls_become_links_that_cannot_run_script_or_reach_the_page() -> None:
    html = str(
        render_markdown(
            "Details: https://status.example.com/x?a=1&b=2, or write to ops@example.com.\n\n"
            "javascript:alert(1) data:text/html,x app.py v3.14.2 [y](javascript:alert(2))"
        )
    )
    assert html.count("<a ") == 2
    assert (
        '<a href="https://status.example.com/x?a=1&amp;b=2" rel="nofollow noopener">'
        "https://status.example.com/x?a=1&amp;b=2</a>, or write to "
        '<a href="mailto:ops@example.com" rel="nofollow noopener">ops@example.com</a>'
    ) in html


async def test_a_hostile_host_header_shows_in_no_public_answer(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await published(client, org, "We are investigating.")
    paths = [*SURFACES, *await token_pages(client, org)]
    for path in paths:
        # Twice: the first answer may be built for this Host, the second comes from the cache.
        for _ in range(2):
            response = await client.get(path, headers={"Host": HOSTILE})
            assert response.status_code == 200, path
            assert HOSTILE not in response.text, path
            assert HOSTILE not in str(response.headers), path
    form = await client.post(
        "/status/acme/subscribe", data={"email": "reader@example.com"}, headers={"Host": HOSTILE}
    )
    assert form.status_code == 202 and HOSTILE not in form.text

    # Without PUBLIC_URL: paths where a format allows them, UUID URNs where it needs absolute.
    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    assert summary["page"]["url"] == "/status/acme"
    [shown] = summary["incidents"]
    assert shown["shortlink"] == f"/status/acme/incidents/{incident['id']}"
    atom = feedparser.parse((await client.get("/status/acme/history.atom")).content)
    assert atom.entries[0].id == f"urn:uuid:{incident['id']}"
    html = (await client.get("/status/acme")).text
    assert 'action="/status/acme/subscribe"' in html


async def test_with_public_url_every_address_comes_from_it(
    database: str, redis_url: str, make_key, org: Org
) -> None:
    settings = Settings(database_url=database, redis_url=redis_url, public_url=PUBLIC_URL + "/")
    async with AsyncTestClient(create_app(settings)) as client:
        incident = await published(client, org, "We are investigating.")
        for path in SURFACES:
            response = await client.get(path, headers={"Host": HOSTILE})
            assert HOSTILE not in response.text, path
        summary = (await client.get("/status/acme/api/v2/summary.json")).json()
        assert summary["page"]["url"] == f"{PUBLIC_URL}/status/acme"
        assert summary["incidents"][0]["shortlink"] == (
            f"{PUBLIC_URL}/status/acme/incidents/{incident['id']}"
        )
        for path in ("/status/acme/history.atom", "/status/acme/history.rss"):
            feed = feedparser.parse((await client.get(path)).content)
            # The ids feed readers already hold stay what they were.
            assert feed.entries[0].id == f"{PUBLIC_URL}/status/acme/incidents/{incident['id']}"
            assert feed.entries[0].link == f"{PUBLIC_URL}/status/acme/incidents/{incident['id']}"
        response = await client.get("/status/acme")
        html = response.text
        assert f'action="{PUBLIC_URL}/status/acme/subscribe"' in html
        # Read at another address of the same server, the page still may use them.
        policy = response.headers["content-security-policy"]
        assert f"style-src 'self' {PUBLIC_URL};" in policy
        assert f"form-action 'self' {PUBLIC_URL};" in policy
        assert f'href="{PUBLIC_URL}/status/_assets/status.css' in html


async def test_a_redaction_in_the_second_of_a_cached_last_modified_is_not_answered_304(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    leaked = await post(
        client, org, incident, {"visibility": "public", "body": "Customer 4111-1111 affected"}
    )
    posted_at = await pool.fetchval("SELECT updated_at FROM incidents")
    cached = {path: (await client.get(path)).headers["last-modified"] for path in SURFACES}
    redact = f"/v1/incidents/{incident['id']}/updates/{leaked['id']}/redact"
    assert (await client.post(redact, headers=org.headers)).status_code == 200
    # As if the redaction came a microsecond after the post, in the second every cache above
    # holds as its Last-Modified.
    await pool.execute(
        "UPDATE incidents SET updated_at = $1::timestamptz + interval '1 microsecond'", posted_at
    )
    for path in SURFACES:
        response = await client.get(path, headers={"If-Modified-Since": cached[path]})
        assert response.status_code == 200, path
        assert "Customer 4111" not in response.text, path
        if path in ("/status/acme", "/status/acme/api/v2/incidents.json"):
            assert "This update was redacted" in response.text, path


async def test_if_modified_since_is_answered_304_once_the_page_has_not_changed_since(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    await published(client, org, "We are investigating.")
    await backdate(pool, hours=1)
    now = format_datetime(datetime.now(UTC), usegmt=True)
    for path in SURFACES:
        response = await client.get(path, headers={"If-Modified-Since": now})
        assert response.status_code == 304, path
        assert response.content == b""
    for broken in ("yesterday", "Mon, 30 Nov 2026 13:00:00 -0000"):
        response = await client.get("/status/acme", headers={"If-Modified-Since": broken})
        assert response.status_code == 200, broken  # not an HTTP date: ignored


async def test_an_edited_title_moves_last_modified_and_the_pages_updated_at(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await published(client, org, "We are investigating.")
    await backdate(pool, hours=1)
    # An incident's own page moves with nothing but the incident: it may be answered 304.
    page = f"/status/acme/incidents/{incident['id']}"
    an_hour_ago = format_datetime(datetime.now(UTC) - timedelta(minutes=59), usegmt=True)
    assert (await client.get(page, headers={"If-Modified-Since": an_hour_ago})).status_code == 304
    edited = await client.patch(
        f"/v1/incidents/{incident['id']}",
        json={"title": "Card payments failing"},
        headers=org.headers,
    )
    assert edited.status_code == 200
    response = await client.get(page, headers={"If-Modified-Since": an_hour_ago})
    assert response.status_code == 200
    assert "Card payments failing" in response.text
    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    [shown] = summary["incidents"]
    assert shown["name"] == "Card payments failing"
    for moved in (summary["page"]["updated_at"], shown["updated_at"]):
        assert datetime.now(UTC) - datetime.fromisoformat(moved) < timedelta(minutes=1)


async def backdate(pool: asyncpg.Pool, hours: int) -> None:
    """Age every change the page shows, as if it had been made `hours` ago."""
    shift = timedelta(hours=hours)
    await pool.execute("UPDATE status_pages SET updated_at = updated_at - $1::interval", shift)
    await pool.execute("UPDATE incidents SET updated_at = updated_at - $1::interval", shift)
    await pool.execute("UPDATE incident_updates SET posted_at = posted_at - $1::interval", shift)


async def test_head_answers_every_public_surface_as_get_does_without_a_body(
    client: AsyncTestClient, org: Org
) -> None:
    await published(client, org, "Investigating.")
    for path in SURFACES:
        for _ in range(2):  # the first read renders, the second is served from memory
            got = await client.get(path)
            head = await client.head(path)
            assert head.status_code == got.status_code == 200, path
            assert head.content == b"", path
            for name in ("content-type", "content-length", "etag", "last-modified"):
                assert head.headers[name] == got.headers[name], (path, name)
    assert (await client.head("/status/nowhere")).status_code == 404
