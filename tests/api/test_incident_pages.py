"""Each incident's own page at /status/{slug}/incidents/{id}: its whole public timeline, for
good, linked from everything that names the incident, and served from memory."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import feedparser
import pytest
from litestar.testing import AsyncTestClient

from app.api.public import page_cache
from tests.api.conftest import Org, open_incident
from tests.api.test_fast_reads import routed_paths, without_request_id
from tests.api.test_page_cache import away_from_the_minute_turn, counted
from tests.api.test_status_page import SECRET, post
from tests.conftest import KeyMaker

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def address(incident: dict) -> str:
    return f"/status/acme/incidents/{incident['id']}"


async def test_an_incident_page_shows_its_whole_public_timeline_and_nothing_internal(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {
            "visibility": "public",
            "body": "Card payments **fail** for some customers.",
            "componentStatuses": [{"componentId": org.payments, "status": "partial_outage"}],
        },
    )
    await post(client, org, incident, {"visibility": "internal", "body": SECRET})
    await post(
        client,
        org,
        incident,
        {"visibility": "internal", "body": SECRET + " again", "statusChange": "identified"},
    )
    leaked = await post(client, org, incident, {"visibility": "public", "body": "Card 4111-1111"})
    await client.post(
        f"/v1/incidents/{incident['id']}/updates/{leaked['id']}/redact", headers=org.headers
    )
    await post(
        client,
        org,
        incident,
        {"visibility": "public", "body": "Payments work again.", "statusChange": "resolved"},
    )

    response = await client.get(address(incident))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<h1>Payments elevated error rate</h1>" in html
    assert "<strong>fail</strong>" in html and "Payments work again." in html
    assert "db password" not in html and "Card 4111" not in html
    assert "This update was redacted." in html
    # The internal status change is a bare row; the internal note is not there at all.
    statuses = [line for line in html.splitlines() if 'class="status"' in line]
    assert [s.split('class="status">')[1].split("<")[0] for s in statuses] == [
        "Resolved",
        "Identified",
        "Identified",
        "Investigating",
    ]
    assert "Affected components" in html and "Payments API" in html
    # What each update did to a component, as Statuspage's readers show it.
    assert "Payments API: Operational → " in html and "Partial outage" in html
    assert "Partial outage → " in html


async def test_every_link_to_an_incident_leads_to_its_page(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    html = (await client.get("/status/acme")).text
    assert f'href="{address(incident)}"' in html
    assert 'href="/status/acme/history"' in html
    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    assert summary["incidents"][0]["shortlink"] == address(incident)
    for feed in ("history.atom", "history.rss"):
        parsed = feedparser.parse((await client.get(f"/status/acme/{feed}")).content)
        assert parsed.entries[0].link == address(incident)
    assert (await client.get(summary["incidents"][0]["shortlink"])).status_code == 200


async def test_a_resolved_incident_keeps_its_page_after_it_leaves_the_main_page(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {"visibility": "public", "body": "Fixed.", "statusChange": "resolved"},
    )
    await pool.execute(
        "UPDATE incidents SET resolved_at = resolved_at - $1::interval", timedelta(days=40)
    )
    assert incident["id"] not in (await client.get("/status/acme")).text
    response = await client.get(address(incident))
    assert response.status_code == 200 and "Fixed." in response.text


async def test_an_incident_the_page_does_not_show_is_not_found(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    # Not public yet: only an internal note.
    hidden = await open_incident(client, org)
    await post(client, org, hidden, {"visibility": "internal", "body": SECRET})
    # Public, but on another page of the organization, with a component this page lacks.
    other = await client.post(
        "/v1/status-pages",
        json={"name": "Search", "slug": "search", "componentIds": [org.search], "published": True},
        headers=org.headers,
    )
    assert other.status_code == 201
    elsewhere = await open_incident(client, org, components=[org.search])
    await post(client, org, elsewhere, {"visibility": "public", "body": "Search is slow."})
    # Public, of another organization.
    foreign_org = Org(headers=await make_key("globex"), payments="", search="")
    component = await client.post(
        "/v1/components", json={"name": "Globex API"}, headers=foreign_org.headers
    )
    foreign_org.payments = component.json()["data"]["id"]
    await client.post(
        "/v1/status-pages",
        json={
            "name": "Globex",
            "slug": "globex",
            "componentIds": [foreign_org.payments],
            "published": True,
        },
        headers=foreign_org.headers,
    )
    foreign = await open_incident(client, foreign_org)
    await post(client, foreign_org, foreign, {"visibility": "public", "body": "Globex down."})
    assert (await client.get(f"/status/globex/incidents/{foreign['id']}")).status_code == 200
    assert (await client.get(f"/status/search/incidents/{elsewhere['id']}")).status_code == 200

    for path in [
        address(hidden),
        address(elsewhere),
        address(foreign),
        f"/status/acme/incidents/{uuid.uuid4()}",
        "/status/acme/incidents/not-a-uuid",
        "/status/acme/incidents/%00",
        f"/status/nowhere/incidents/{foreign['id']}",
    ]:
        as_json = await client.get(path)
        assert as_json.status_code == 404, path
        assert as_json.json()["error"]["code"] == "not_found", path
        as_html = await client.get(path, headers=BROWSER)
        assert as_html.status_code == 404, path
        assert as_html.headers["content-type"].startswith("text/html"), path
        assert "Page not found" in as_html.text and "Globex down" not in as_html.text, path


async def test_incident_pages_are_served_from_memory_until_their_page_changes(
    client: AsyncTestClient, org: Org
) -> None:
    incidents = [await open_incident(client, org) for _ in range(3)]
    for incident in incidents:
        await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    await away_from_the_minute_turn()
    for incident in incidents:
        await client.get(address(incident))
    pool = counted(client)
    for _ in range(10):
        for incident in incidents:
            assert (await client.get(address(incident))).status_code == 200
    assert pool.statements == 0
    await post(client, org, incidents[0], {"visibility": "public", "body": "Found it."})
    assert "Found it." in (await client.get(address(incidents[0]))).text
    assert pool.statements > 0
    pool.statements = 0
    etag = (await client.get(address(incidents[0]))).headers["etag"]
    not_modified = await client.get(address(incidents[0]), headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert pool.statements == 0
    # An address the page has no incident at costs one indexed query, however many are tried
    # (once the first has told the process that "acme" is no former slug of another page).
    await client.get(f"/status/acme/incidents/{uuid.uuid4()}")
    pool.statements = 0
    for _ in range(5):
        assert (await client.get(f"/status/acme/incidents/{uuid.uuid4()}")).status_code == 404
    assert pool.statements == 5


async def test_incident_pages_are_answered_before_routing_as_the_route_answers_them(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    await away_from_the_minute_turn()
    routed = routed_paths(client)
    for path in [address(incident), "/status/acme/history"]:
        first = await client.get(path)
        again = await client.get(path)
        assert routed.count(path) == 1, path
        assert again.status_code == first.status_code == 200
        assert again.content == first.content
        assert without_request_id(again.headers.raw) == without_request_id(first.headers.raw)


async def test_incident_pages_beyond_the_memory_budget_are_rendered_again_when_read(
    client: AsyncTestClient, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    incidents = [await open_incident(client, org) for _ in range(3)]
    for incident in incidents:
        await post(client, org, incident, {"visibility": "public", "body": "Investigating."})
    await away_from_the_minute_turn()
    size = len((await client.get(address(incidents[0]))).content)
    # Room for two incident pages: reading a third drops the one read least recently.
    monkeypatch.setattr(page_cache, "ITEM_BYTES", 2 * size + size // 2)
    for incident in incidents:
        await client.get(address(incident))
    pool = counted(client)
    for incident in incidents[1:]:
        assert (await client.get(address(incident))).status_code == 200
    assert pool.statements == 0
    dropped = await client.get(address(incidents[0]))
    assert dropped.status_code == 200 and incidents[0]["id"] in dropped.text
    assert pool.statements > 0
