"""The public status page: HTML, Statuspage JSON, feeds, conditional GET; never a leak."""

from __future__ import annotations

import feedparser
import pytest
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, open_incident

SECRET = "internal: root cause is the db password rotation"
PUBLIC = "We are investigating **elevated errors** on payments."


async def post(client: AsyncTestClient, org: Org, incident: dict, body: dict) -> dict:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates", json=body, headers=org.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


SURFACES = [
    "/status/acme",
    "/status/acme/api/v2/summary.json",
    "/status/acme/api/v2/status.json",
    "/status/acme/api/v2/components.json",
    "/status/acme/api/v2/incidents.json",
    "/status/acme/api/v2/incidents/unresolved.json",
    "/status/acme/api/v2/scheduled-maintenances.json",
    "/status/acme/api/v2/scheduled-maintenances/upcoming.json",
    "/status/acme/api/v2/scheduled-maintenances/active.json",
    "/status/acme/history.atom",
    "/status/acme/history.rss",
]


async def test_public_update_shows_everywhere_internal_and_redacted_text_nowhere(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": PUBLIC})
    await post(client, org, incident, {"visibility": "internal", "body": SECRET})
    await post(
        client,
        org,
        incident,
        {"visibility": "internal", "body": SECRET + " again", "statusChange": "identified"},
    )
    leaked = await post(
        client, org, incident, {"visibility": "public", "body": "Customer 4111-1111 affected"}
    )
    await client.post(
        f"/v1/incidents/{incident['id']}/updates/{leaked['id']}/redact", headers=org.headers
    )
    for path in SURFACES:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "db password" not in response.text, path
        assert "Customer 4111" not in response.text, path
        if "incidents" in path or path.endswith("summary.json"):
            assert "elevated errors" in response.text, path

    html = (await client.get("/status/acme")).text
    assert "<strong>elevated errors</strong>" in html
    assert "This update was redacted" in html
    assert "Identified" in html  # the internal transition shows as a bare row


async def test_timeline_in_statuspage_json(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    first = await post(client, org, incident, {"visibility": "public", "body": PUBLIC})
    await post(client, org, incident, {"visibility": "internal", "body": SECRET})
    transition = await post(
        client, org, incident, {"visibility": "internal", "statusChange": "monitoring"}
    )
    body = (await client.get("/status/acme/api/v2/incidents/unresolved.json")).json()
    assert set(body) == {"page", "incidents"}
    assert set(body["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    [shown] = body["incidents"]
    assert shown["id"] == incident["id"]
    assert shown["name"] == "Payments elevated error rate"
    assert shown["status"] == "monitoring"
    assert shown["impact"] == "critical"
    assert shown["monitoring_at"] is not None and shown["resolved_at"] is None
    updates = shown["incident_updates"]  # newest first, the internal note absent
    assert [u["id"] for u in updates] == [transition["id"], first["id"]]
    assert [u["status"] for u in updates] == ["monitoring", "investigating"]
    # A bare status change still reads as something in Statuspage's readers.
    assert updates[0]["body"] == "Status changed to Monitoring." and updates[1]["body"] == PUBLIC
    assert set(updates[0]) == {
        "id",
        "status",
        "body",
        "incident_id",
        "created_at",
        "updated_at",
        "display_at",
        "affected_components",
        "deliver_notifications",
        "custom_tweet",
        "tweet_id",
    }
    assert [c["id"] for c in shown["components"]] == [org.payments]


async def test_component_status_and_indicator_are_derived(
    client: AsyncTestClient, org: Org
) -> None:
    quiet = (await client.get("/status/acme/api/v2/summary.json")).json()
    assert quiet["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert [c["status"] for c in quiet["components"]] == ["operational"]

    minor = await client.post(
        "/v1/incidents",
        json={"title": "Slow", "severity": "minor", "componentIds": [org.payments]},
        headers=org.headers,
    )
    minor = minor.json()["data"]
    await post(
        client,
        org,
        minor,
        {
            "visibility": "public",
            "body": "Slow payments.",
            "componentStatuses": [{"componentId": org.payments, "status": "full_outage"}],
        },
    )
    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    assert summary["components"][0]["status"] == "major_outage"  # Statuspage's name for it
    assert summary["status"]["indicator"] == "critical"  # the component outweighs "minor"

    await post(
        client, org, minor, {"visibility": "public", "body": "Fixed.", "statusChange": "resolved"}
    )
    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    assert summary["components"][0]["status"] == "operational"
    assert summary["status"]["indicator"] == "none"
    assert summary["incidents"] == []


async def test_severity_raises_the_indicator(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)  # critical, components untouched
    status = (await client.get("/status/acme/api/v2/status.json")).json()["status"]
    assert status["indicator"] == "none"  # nothing public yet: the page knows nothing of it
    await post(client, org, incident, {"visibility": "public", "body": PUBLIC})
    status = (await client.get("/status/acme/api/v2/status.json")).json()["status"]
    assert status["indicator"] == "critical"


async def test_an_incident_with_only_internal_updates_stays_off_the_page(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {"visibility": "internal", "body": SECRET, "statusChange": "identified"},
    )
    for path in SURFACES:
        response = await client.get(path)
        assert "Payments elevated error rate" not in response.text, path
        assert incident["id"] not in response.text, path


@pytest.mark.parametrize("path", ["/status/nope", "/status/nope/api/v2/summary.json"])
async def test_unknown_slug_is_404(client: AsyncTestClient, org: Org, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_an_unpublished_page_is_404(client: AsyncTestClient, org: Org) -> None:
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    await client.patch(
        f"/v1/status-pages/{pages[0]['id']}", json={"published": False}, headers=org.headers
    )
    for path in SURFACES:
        assert (await client.get(path)).status_code == 404, path


async def test_a_body_with_script_is_shown_as_text(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {"visibility": "public", "body": "Hi <script>alert(1)</script> [x](javascript:alert(2))"},
    )
    html = (await client.get("/status/acme")).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html


async def test_feeds_parse_with_one_entry_per_incident(client: AsyncTestClient, org: Org) -> None:
    first = await open_incident(client, org)
    await post(client, org, first, {"visibility": "public", "body": PUBLIC})
    await post(
        client,
        org,
        first,
        {"visibility": "public", "body": "Resolved.", "statusChange": "resolved"},
    )
    second = await open_incident(client, org)
    await post(client, org, second, {"visibility": "public", "body": "Another one."})

    for path in ("/status/acme/history.atom", "/status/acme/history.rss"):
        response = await client.get(path)
        feed = feedparser.parse(response.content)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.feed.title == "Acme Status - Incident History"
        assert [e.title for e in feed.entries] == [
            "Payments elevated error rate",
            "Payments elevated error rate",
        ]
        content = feed.entries[1].get("content", [{}])[0].get("value") or feed.entries[1].summary
        assert "Resolved." in content and "elevated errors" in content
    html = (await client.get("/status/acme")).text
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert 'rel="alternate" type="application/rss+xml"' in html


async def test_feeds_carry_text_with_control_characters(client: AsyncTestClient, org: Org) -> None:
    response = await client.post(
        "/v1/incidents",
        json={"title": "Bell\x07 rings", "severity": "minor", "componentIds": [org.payments]},
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    incident = response.json()["data"]
    await post(client, org, incident, {"visibility": "public", "body": "Escape\x1b byte"})

    for path in ("/status/acme/history.atom", "/status/acme/history.rss"):
        response = await client.get(path)
        assert response.status_code == 200, path
        feed = feedparser.parse(response.content)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries[0].title == "Bell\ufffd rings"
        content = feed.entries[0].get("content", [{}])[0].get("value") or feed.entries[0].summary
        assert "Escape\ufffd byte" in content


async def test_conditional_get(client: AsyncTestClient, org: Org) -> None:
    for path in SURFACES:
        first = await client.get(path)
        etag = first.headers["etag"]
        assert first.headers["last-modified"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag

    etag = (await client.get("/status/acme")).headers["etag"]
    incident = await open_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": PUBLIC})
    changed = await client.get("/status/acme", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "elevated errors" in changed.text


async def test_uptime_bars_show_an_ongoing_outage_today(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {
            "visibility": "public",
            "body": PUBLIC,
            "componentStatuses": [{"componentId": org.payments, "status": "partial_outage"}],
        },
    )
    html = (await client.get("/status/acme")).text
    bars = [line.strip() for line in html.splitlines() if 'class="bar ' in line]
    assert len(bars) == 90
    # The component was made today: the days before it show as no data.
    assert all('class="bar nodata"' in bar for bar in bars[:-1])
    assert 'class="bar partial_outage"' in bars[-1]
    assert "Partial outage: 1 min" in bars[-1]


async def _minor_incident(client: AsyncTestClient, org: Org) -> dict:
    # Minor, so that the page indicator shows what the components say, not the severity.
    response = await client.post(
        "/v1/incidents",
        json={"title": "Slow payments", "severity": "minor", "componentIds": [org.payments]},
        headers=org.headers,
    )
    return response.json()["data"]


def _statuses(status: str, org: Org) -> list[dict]:
    return [{"componentId": org.payments, "status": status}]


async def _public_component_state(client: AsyncTestClient) -> dict:
    """What every public surface says of the payments component and of the page."""
    html = (await client.get("/status/acme")).text
    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    components = (await client.get("/status/acme/api/v2/components.json")).json()
    status = (await client.get("/status/acme/api/v2/status.json")).json()
    unresolved = (await client.get("/status/acme/api/v2/incidents/unresolved.json")).json()
    incidents = (await client.get("/status/acme/api/v2/incidents.json")).json()
    bars = [line.strip() for line in html.splitlines() if 'class="bar ' in line]
    return {
        "html": [s for s in STATES if f'class="state {s}"' in html],
        "today": bars[-1].split('"')[1],
        "summary": [c["status"] for c in summary["components"]],
        "indicator": {summary["status"]["indicator"], status["status"]["indicator"]},
        "components": [c["status"] for c in components["components"]],
        "incident_components": [
            c["status"]
            for doc in (summary, unresolved, incidents)
            for i in doc["incidents"]
            for c in i["components"]
        ],
        "affected": [
            u["affected_components"] for i in incidents["incidents"] for u in i["incident_updates"]
        ],
    }


STATES = ("operational", "degraded_performance", "partial_outage", "full_outage")


async def test_an_internal_updates_component_statuses_stay_off_every_public_surface(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await _minor_incident(client, org)
    await post(client, org, incident, {"visibility": "public", "body": PUBLIC})
    await post(
        client,
        org,
        incident,
        {
            "visibility": "internal",
            "body": SECRET,
            "componentStatuses": _statuses("full_outage", org),
        },
    )
    # The team sees the outage it recorded...
    mine = (await client.get(f"/v1/incidents/{incident['id']}", headers=org.headers)).json()
    assert mine["data"]["componentStatuses"] == _statuses("full_outage", org)
    # ...the public does not.
    assert await _public_component_state(client) == {
        "html": ["operational"],
        "today": "bar operational",
        "summary": ["operational"],
        "indicator": {"minor"},
        "components": ["operational"],
        "incident_components": ["operational"] * 3,
        "affected": [None],
    }


async def test_a_later_public_status_starts_when_it_was_posted_not_when_set_internally(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await _minor_incident(client, org)
    await post(
        client,
        org,
        incident,
        {
            "visibility": "internal",
            "body": SECRET,
            "componentStatuses": _statuses("full_outage", org),
        },
    )
    await post(client, org, incident, {"visibility": "public", "body": PUBLIC})
    quiet = await _public_component_state(client)
    assert (quiet["summary"], quiet["indicator"], quiet["today"]) == (
        ["operational"],
        {"minor"},
        "bar operational",
    )

    told = await post(
        client,
        org,
        incident,
        {
            "visibility": "public",
            "body": "Degraded.",
            "componentStatuses": _statuses("degraded_performance", org),
        },
    )
    shown = await _public_component_state(client)
    assert shown["html"] == ["degraded_performance"]
    assert shown["today"] == "bar degraded_performance"
    assert shown["indicator"] == {"minor"}
    assert shown["components"] == ["degraded_performance"]
    components = (await client.get("/status/acme/api/v2/components.json")).json()["components"]
    # The component changed when the public was told, not when the team first recorded it.
    assert components[0]["updated_at"] == told["postedAt"]

    await post(client, org, incident, {"visibility": "internal", "statusChange": "resolved"})
    resolved = await _public_component_state(client)
    assert (resolved["summary"], resolved["indicator"]) == (["operational"], {"none"})
