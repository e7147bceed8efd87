"""What the public sees of scheduled maintenance: the page, Statuspage's JSON and the feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, open_incident
from tests.api.test_page_cache import shows
from workers.maintenance_clock import move_due

PAGE = "/status/acme"
API = f"{PAGE}/api/v2"


async def schedule(client: AsyncTestClient, org: Org, **fields: object) -> dict:
    starts = datetime.now(UTC) + timedelta(hours=3)
    response = await client.post(
        "/v1/maintenances",
        json={
            "title": "Database upgrade",
            "description": "Payments **pause** for a few minutes.",
            "componentIds": [org.payments],
            "scheduledFor": starts.isoformat(),
            "scheduledUntil": (starts + timedelta(hours=2)).isoformat(),
            **fields,
        },
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def read(client: AsyncTestClient, path: str) -> dict:
    response = await client.get(f"{API}/{path}")
    assert response.status_code == 200, response.text
    return response.json()


async def component_status(client: AsyncTestClient) -> str:
    (component,) = (await read(client, "components.json"))["components"]
    return component["status"]


async def test_an_upcoming_maintenance_is_announced_everywhere(
    client: AsyncTestClient, org: Org
) -> None:
    planned = await schedule(client, org)
    html = (await client.get(PAGE)).text
    assert "Upcoming maintenance" in html and "Database upgrade" in html
    assert "<strong>pause</strong>" in html  # the description, as Markdown
    assert "Affects: Payments API" in html
    upcoming = (await read(client, "scheduled-maintenances/upcoming.json"))[
        "scheduled_maintenances"
    ]
    assert [(m["id"], m["status"], m["impact"]) for m in upcoming] == [
        (planned["id"], "scheduled", "maintenance")
    ]
    (announced,) = upcoming
    assert announced["scheduled_for"] == planned["scheduledFor"]
    assert announced["scheduled_until"] == planned["scheduledUntil"]
    assert [c["name"] for c in announced["components"]] == ["Payments API"]
    assert announced["incident_updates"][0]["body"] == "Payments **pause** for a few minutes."
    assert (await read(client, "scheduled-maintenances/active.json"))[
        "scheduled_maintenances"
    ] == []
    summary = await read(client, "summary.json")
    assert [m["id"] for m in summary["scheduled_maintenances"]] == [planned["id"]]
    # Planned work changes nothing yet.
    assert summary["status"]["indicator"] == "none"
    assert await component_status(client) == "operational"
    feed = (await client.get(f"{PAGE}/history.atom")).text
    assert "Scheduled maintenance: Database upgrade" in feed


async def test_in_progress_components_are_under_maintenance_until_it_completes(
    client: AsyncTestClient, org: Org
) -> None:
    planned = await schedule(client, org)
    url = f"/v1/maintenances/{planned['id']}"
    await client.post(f"{url}/start", headers=org.headers)
    status = (await read(client, "status.json"))["status"]
    assert status == {"indicator": "maintenance", "description": "Service Under Maintenance"}
    assert await component_status(client) == "under_maintenance"
    active = (await read(client, "scheduled-maintenances/active.json"))["scheduled_maintenances"]
    assert [m["status"] for m in active] == ["in_progress"]
    assert active[0]["incident_updates"][0]["body"].startswith("Scheduled maintenance is")
    html = (await client.get(PAGE)).text
    assert "Service Under Maintenance" in html and "Maintenance in progress" in html
    assert "Upcoming maintenance" not in html

    await client.post(
        f"{url}/updates",
        json={"visibility": "internal", "body": "Secret replica name"},
        headers=org.headers,
    )
    await client.post(
        f"{url}/updates",
        json={"visibility": "public", "body": "Half done.", "statusChange": "verifying"},
        headers=org.headers,
    )
    html = (await client.get(PAGE)).text
    assert "Half done." in html and "Secret replica name" not in html
    assert "Maintenance verifying" in html

    await client.post(f"{url}/complete", headers=org.headers)
    assert (await read(client, "status.json"))["status"]["indicator"] == "none"
    assert await component_status(client) == "operational"
    listed = (await read(client, "scheduled-maintenances.json"))["scheduled_maintenances"]
    assert [(m["status"], m["resolved_at"] is not None) for m in listed] == [("completed", True)]
    html = (await client.get(PAGE)).text
    assert "Maintenance in progress" not in html
    # Today's bar shows the minutes under maintenance in their own colour, not as an outage.
    assert 'class="bar under_maintenance"' in html
    assert "Under maintenance: 1 min" in html


async def test_an_open_incident_that_is_worse_wins_over_maintenance(
    client: AsyncTestClient, org: Org
) -> None:
    planned = await schedule(client, org)
    await client.post(f"/v1/maintenances/{planned['id']}/start", headers=org.headers)
    incident = await open_incident(client, org)
    await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={
            "visibility": "public",
            "body": "Errors.",
            "componentStatuses": [{"componentId": org.payments, "status": "partial_outage"}],
        },
        headers=org.headers,
    )
    assert await component_status(client) == "partial_outage"
    assert (await read(client, "status.json"))["status"]["indicator"] == "critical"


async def test_a_cancelled_maintenance_leaves_the_page(client: AsyncTestClient, org: Org) -> None:
    planned = await schedule(client, org)
    await client.post(f"/v1/maintenances/{planned['id']}/cancel", headers=org.headers)
    assert "Database upgrade" not in (await client.get(PAGE)).text
    assert (await read(client, "scheduled-maintenances.json"))["scheduled_maintenances"] == []


async def test_a_maintenance_of_components_off_the_page_is_not_shown(
    client: AsyncTestClient, org: Org
) -> None:
    await schedule(client, org, componentIds=[org.search])
    assert (await read(client, "summary.json"))["scheduled_maintenances"] == []


async def test_a_start_by_the_clock_in_another_process_refreshes_the_cached_page(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    planned = await schedule(client, org)
    assert "Upcoming maintenance" in (await client.get(PAGE)).text  # now cached
    await move_due(pool, datetime.fromisoformat(planned["scheduledFor"]))
    assert await shows(client, PAGE, "Maintenance in progress")
    assert await shows(client, f"{API}/status.json", "Service Under Maintenance")
