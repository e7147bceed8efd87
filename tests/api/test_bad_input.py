"""Bad input gets a clear error and changes nothing: size, media type, random JSON."""

from __future__ import annotations

import json
import uuid

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, event_count, open_incident


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
