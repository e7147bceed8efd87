"""Cached public pages are answered before routing, exactly as the route handlers answer them:
same bytes, same headers, same 304s, same latency metric."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send

from tests.api.conftest import Org, open_incident
from tests.api.test_page_cache import away_from_the_minute_turn
from tests.api.test_status_page import SURFACES, post


def without_request_id(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    return {name: value for name, value in headers if name != b"x-request-id"}


def routed_paths(client: AsyncTestClient) -> list[str]:
    """Paths that reached litestar's routing from now on."""
    seen: list[str] = []
    handler = client.app.asgi_handler

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])
        await handler(scope, receive, send)

    client.app.asgi_handler = counting
    return seen


async def test_a_cached_page_is_answered_as_the_route_answers_it(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    await away_from_the_minute_turn()
    routed = routed_paths(client)
    for path in SURFACES:
        first = await client.get(path)  # rendered by the route handler
        again = await client.get(path)  # from memory
        assert routed.count(path) == 1, path
        assert again.status_code == first.status_code == 200
        assert again.content == first.content
        assert without_request_id(again.headers.raw) == without_request_id(first.headers.raw)
        assert again.headers["x-request-id"] != first.headers["x-request-id"]
        etag = first.headers["etag"]
        not_modified = await client.get(path, headers={"If-None-Match": etag})
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert "content-type" not in not_modified.headers
        assert not_modified.headers["etag"] == etag
        assert not_modified.headers["cache-control"] == first.headers["cache-control"]
        assert routed.count(path) == 1, path


async def test_a_cached_read_keeps_the_callers_request_id(
    client: AsyncTestClient, org: Org
) -> None:
    await client.get("/status/acme")
    answer = await client.get("/status/acme", headers={"X-Request-Id": "trace-42"})
    assert answer.headers["x-request-id"] == "trace-42"
    odd = await client.get("/status/acme", headers={"X-Request-Id": "no spaces <b>"})
    assert odd.headers["x-request-id"].startswith("req_")


async def test_cached_reads_are_counted_under_their_route(
    client: AsyncTestClient, org: Org
) -> None:
    await away_from_the_minute_turn()
    registry = client.app.state.metrics.registry
    routed = routed_paths(client)
    for path, route in [
        ("/status/acme", "/status/{slug}"),
        ("/status/acme/api/v2/summary.json", "/status/{slug}/api/v2/summary.json"),
        ("/status/acme/history.rss", "/status/{slug}/history.rss"),
    ]:
        for _ in range(3):
            assert (await client.get(path)).status_code == 200
        assert routed.count(path) == 1
        labels = {"method": "GET", "route": route, "status": "200"}
        assert registry.get_sample_value("herald_http_request_duration_seconds_count", labels) == 3


async def test_what_is_not_cached_goes_on_to_the_routes(client: AsyncTestClient, org: Org) -> None:
    await client.get("/status/acme")
    routed = routed_paths(client)
    assert (await client.get("/status/nowhere")).status_code == 404
    assert (await client.post("/status/acme")).status_code == 405
    assert (await client.get("/status/acme/api/v2/other.json")).status_code == 404
    assert routed == ["/status/nowhere", "/status/acme", "/status/acme/api/v2/other.json"]
