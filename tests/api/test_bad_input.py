"""Bad input gets a clear error and changes nothing: size, media type, random JSON."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator
from urllib.parse import quote

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org, event_count, open_incident


@pytest.fixture
async def client(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    """With a secret key, so that the subscriber endpoints take part rather than answer 503."""
    settings = Settings(
        database_url=database,
        redis_url=redis_url,
        secret_key="bad-input-secret-key-0123456789abcdef",
    )
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def test_a_body_over_one_mebibyte_is_413(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    huge = json.dumps({"visibility": "internal", "body": "x" * (1024 * 1024)})
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        content=huge,
        headers={**org.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_body_that_is_not_json_is_415(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    before = await event_count(pool)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = await client.post(
            f"/v1/incidents/{incident['id']}/updates",
            content=b'{"visibility": "internal", "body": "x"}',
            headers={**org.headers, "Content-Type": content_type},
        )
        assert response.status_code == 415, content_type
        assert response.json()["error"]["code"] == "unsupported_media_type"
    ok = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        content=b'{"visibility": "internal", "body": "x"}',
        headers={**org.headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201
    assert await event_count(pool) == before + 1


async def test_text_with_a_nul_character_is_422(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    before = await event_count(pool)
    for body in ({"name": "Pay\u0000ments"}, {"name": "ok", "description": "a\u0000"}):
        response = await client.post("/v1/components", json=body, headers=org.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error"
    escaped = await client.post(
        "/v1/components", json={"name": "a literal \\u0000"}, headers=org.headers
    )
    assert escaped.status_code == 201
    assert escaped.json()["data"]["name"] == "a literal \\u0000"
    assert await event_count(pool) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = [
    "title", "severity", "componentIds", "visibility", "body", "statusChange",
    "componentStatuses", "notifySubscribers", "name", "slug", "published",
    "status_page_incident_id", "message", "notify_subscribers", "incident_status",
    "component_statuses", "status",
]  # fmt: skip
documents = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)


async def test_random_json_never_causes_a_5xx_and_only_2xx_appends(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    project = (await client.get("/v1/components", headers=org.headers)).json()["data"][0]
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]
    targets = [
        ("POST", "/v1/incidents"),
        ("PATCH", f"/v1/incidents/{incident['id']}"),
        ("POST", f"/v1/incidents/{incident['id']}/updates"),
        ("POST", "/v1/components"),
        ("POST", "/v1/status-pages"),
        ("PATCH", f"/v1/status-pages/{page['id']}"),
        ("POST", "/v2/status_page_incident_updates"),
        (
            "POST",
            f"/api/projects/{project['organizationId']}/status-pages/{page['id']}"
            f"/incidents/{incident['id']}/updates",
        ),
    ]
    # Hypothesis drives sync functions: draw the cases first, then send them on this loop.
    examples: list[tuple[tuple[str, str], object]] = []

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,  # the same cases on every run, so CI cannot flicker
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(target=st.sampled_from(targets), document=documents)
    def draw(target: tuple[str, str], document: object) -> None:
        examples.append((target, document))

    draw()
    for (method, path), document in examples:
        before = await event_count(pool)
        response = await client.request(
            method,
            path,
            content=json.dumps(document),
            headers={**org.headers, "Content-Type": "application/json",
                     "X-Request-Id": f"fuzz-{uuid.uuid4().hex[:8]}"},
        )  # fmt: skip
        assert response.status_code < 500, (method, path, document, response.text)
        if not 200 <= response.status_code < 300:
            assert await event_count(pool) == before, (method, path, document)
    assert len(examples) == 60


async def test_a_value_followed_by_junk_is_invalid_json(client: AsyncTestClient, org: Org) -> None:
    for raw in (b"{}x", b"2x", b'{"name": "A"} trailing'):
        response = await client.post(
            "/v1/components",
            content=raw,
            headers={**org.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, raw
        assert response.json()["error"]["code"] == "invalid_json"


# Hostile input: every class of value below used to reach a 500 somewhere.

DEEP = 1000


def nested(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def json_post(path: str, raw: bytes, headers: dict[str, str]) -> dict:
    return {
        "method": "POST",
        "url": path,
        "content": raw,
        "headers": {**headers, "Content-Type": "application/json"},
    }


async def test_json_nested_a_thousand_deep_is_malformed_in_every_dialect(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    incident = await open_incident(client, org)
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]
    deep = nested()
    bodies = [deep, b'{"name": ' + deep + b"}", b'{"title": "x", "componentIds": ' + deep + b"}"]
    v1 = [
        "/v1/components",
        "/v1/incidents",
        f"/v1/incidents/{incident['id']}/updates",
        "/v1/status-pages",
        f"/v1/status-pages/{page['id']}/subscribers",
    ]
    before = await event_count(pool)
    with caplog.at_level(logging.DEBUG):
        for path in v1:
            for raw in bodies:
                response = await client.request(**json_post(path, raw, org.headers))
                assert response.status_code == 400, (path, raw[:20], response.text)
                assert response.json()["error"]["code"] == "invalid_json"
        for raw in (deep, b'{"email": ' + deep + b"}"):
            public = await client.post(
                "/status/acme/subscribe",
                content=raw,
                headers={"Content-Type": "application/json"},
            )
            assert public.status_code == 400
            assert public.json()["error"]["code"] == "invalid_json"
        incidentio = await client.request(
            **json_post(
                "/v2/status_page_incident_updates",
                b'{"status_page_incident_id": "%s", "message": ' % incident["id"].encode()
                + deep
                + b"}",
                org.headers,
            )
        )
        assert incidentio.status_code == 400
        assert incidentio.json()["errors"][0]["code"] == "invalid_json"
        uptimeio = await client.request(
            **json_post(
                f"/api/projects/{page['organizationId']}/status-pages/{page['id']}"
                f"/incidents/{incident['id']}/updates",
                b'{"status": "identified", "message": ' + deep + b"}",
                org.headers,
            )
        )
        assert uptimeio.status_code == 400
        assert uptimeio.json()["error"] == {
            "code": "VALIDATION_ERROR",
            "message": "Validation failed: Malformed JSON in request body",
        }
    assert await event_count(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"


async def test_json_deeper_than_32_levels_is_malformed_whatever_the_stack(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    def component(depth: int) -> bytes:
        """A valid component, with an unknown field nesting the document `depth` levels deep."""
        return b'{"name": "A", "extra": ' + nested(depth - 1) + b"}"

    shallow = await client.request(**json_post("/v1/components", component(32), org.headers))
    assert shallow.status_code == 201, shallow.text
    components = "SELECT count(*) FROM components"
    before = await pool.fetchval(components)
    for depth in (33, 100):
        deep = await client.request(**json_post("/v1/components", component(depth), org.headers))
        assert deep.status_code == 400, depth
        assert deep.json()["error"] == {
            "code": "invalid_json",
            "message": "The request body is not valid JSON: it is nested deeper than 32 levels",
            "requestId": deep.headers["x-request-id"],
        }
    # Brackets inside strings are text, not nesting.
    text = await client.post("/v1/components", json={"name": "[{" * 100}, headers=org.headers)
    assert text.status_code == 201
    assert await pool.fetchval(components) == before + 1


CONTROL_CHARACTERS = ["\x00", "\x01", "\t", "\n", "\x1b", "\x7f", "\x85"]


async def test_control_characters_in_a_slug_name_no_page(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    for character in CONTROL_CHARACTERS:
        slug = quote(f"acme{character}")
        for path in ("", "api/v2/summary.json", "history.atom"):
            response = await client.get(f"/status/{slug}/{path}")
            assert response.status_code == 404, (character, path, response.text)
        for request in ({"json": {"email": "a@example.com"}}, {"data": {"email": "a@example.com"}}):
            response = await client.post(f"/status/{slug}/subscribe", **request)
            assert response.status_code == 404, (character, request)
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0


async def test_control_characters_in_an_address_are_422(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    for character in CONTROL_CHARACTERS:
        email = f"a{character}b@example.com"
        form = await client.post("/status/acme/subscribe", data={"email": email})
        assert form.status_code == 422, (character, form.text)
        assert "Not subscribed" in form.text
        body = await client.post("/status/acme/subscribe", json={"email": email})
        assert body.status_code == 422, character
        # A "\u0000" escape is refused as the body's before any field is read.
        field = "body" if character == "\x00" else "email"
        assert [f["field"] for f in body.json()["error"]["fields"]] == [field], character
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0


def cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_limits_and_cursors_that_are_no_page_of_a_list_are_422(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]
    lists = [
        "/v1/components",
        "/v1/incidents",
        f"/v1/incidents/{incident['id']}/updates",
        f"/v1/incidents/{incident['id']}/events",
        "/v1/status-pages",
        f"/v1/status-pages/{page['id']}/subscribers",
        f"/v1/status-pages/{page['id']}/deliveries",
    ]
    limits = ["\u00b2", "\u0661\u0662", "\uff15", "9" * 5000, "1\x00", "-1", "0", "101"]
    cursors = [
        cursor_of(b"1" + b"0" * 30),  # an integer far beyond any version
        cursor_of(b"2147483648"),
        cursor_of(b"-" + b"9" * 30),
        cursor_of(b"1e400"),
        cursor_of(nested()),
        cursor_of(b'"not-a-uuid"'),
        cursor_of(b"\xff\xfe"),
        "\u00e9\u00e9\u00e9\u00e9",
        "%00",
        "a",
        "=" * 8,
    ]
    queries = [{"limit": limit} for limit in limits] + [{"cursor": cursor} for cursor in cursors]
    for path in lists:
        for query in queries:
            response = await client.get(path, params=query, headers=org.headers)
            assert response.status_code == 422, (path, query, response.text)
            fields = response.json()["error"]["fields"]
            assert [field["field"] for field in fields] == list(query), (path, query)
    # The cursors the API hands out still work.
    await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "internal", "body": "Second event."},
        headers=org.headers,
    )
    events = f"/v1/incidents/{incident['id']}/events"
    first = await client.get(events, params={"limit": "1"}, headers=org.headers)
    following = await client.get(
        events, params={"cursor": first.json()["nextCursor"], "limit": "100"}, headers=org.headers
    )
    assert following.status_code == 200
    assert [event["version"] for event in following.json()["data"]] == [2]


WEBHOOK_URLS = [
    "http://[::1",
    "http://example.com]/",
    "http://[example.com]/",
    "http://]/",
    "https://[/hook",
    "http://exa mple.com/hook",
    "http://example.com/ho ok",
    " http://example.com/hook",
    "http://example.com/hook ",
    "ht\ttp://example.com/hook",
    "http://example.com\n/hook",
    "http://example.com/\rhook",
    "http://example.com/\x01hook",
    "http://example.com/\x7f",
    "http://example.com/\x85",
    "http://example.com/\u00a0",
]


async def test_webhook_urls_that_do_not_parse_as_written_are_422(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]
    path = f"/v1/status-pages/{page['id']}/subscribers"
    for url in WEBHOOK_URLS:
        response = await client.post(
            path, json={"channel": "webhook", "url": url}, headers=org.headers
        )
        assert response.status_code == 422, (url, response.text)
        [field] = response.json()["error"]["fields"]
        assert field["field"] == "url", url
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0
    fine = await client.post(
        path,
        json={"channel": "webhook", "url": "https://example.com/hook?a=1%202"},
        headers=org.headers,
    )
    assert fine.status_code == 201
    assert fine.json()["data"]["url"] == "https://example.com/hook?a=1%202"
