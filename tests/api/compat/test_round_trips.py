"""The drop-in dialects post an update in the round trips v1 takes: the snapshot read, which
also finds the page and components the rules need, and the write."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.api.compat.conftest import INCIDENTIO, api_key, uptimeio_url, v1_incident
from tests.api.conftest import CountingPool, Org, open_incident


async def test_incidentio_posts_in_two_round_trips_and_answers_with_the_components_it_set(
    client: AsyncTestClient, org: Org, counted: CountingPool
) -> None:
    incident = await open_incident(client, org)
    counted.statements.clear()
    response = await client.post(
        INCIDENTIO,
        json={
            "status_page_incident_id": incident["id"],
            "message": "Payments are slow; we are on it.",
            "notify_subscribers": True,
            "incident_status": "identified",
            "component_statuses": [
                {"component_id": org.payments, "component_status": "partial_outage"}
            ],
        },
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    assert len(counted.statements) == 2, counted.statements
    shown = response.json()["status_page_incident_update"]
    assert shown["component_statuses"] == [
        {"component_id": org.payments, "component_status": "partial_outage"}
    ]
    assert shown["incident_status"] == "identified"
    assert (await v1_incident(client, org, incident))["componentStatuses"] == [
        {"componentId": org.payments, "status": "partial_outage"}
    ]


async def test_uptimeio_posts_in_two_round_trips_the_page_looked_up_by_the_command(
    client: AsyncTestClient, org: Org, page_id: str, counted: CountingPool
) -> None:
    incident = await open_incident(client, org)
    counted.statements.clear()
    response = await client.post(
        uptimeio_url(incident, page_id),
        json={"message": "Root cause found.", "status": "identified"},
        headers=api_key(org.headers),
    )
    assert response.status_code == 201, response.text
    assert len(counted.statements) == 2, counted.statements
    assert response.json()["data"]["update"]["status"] == "identified"


async def test_uptimeio_refuses_a_page_unpublished_since_the_incident_was_posted_to_it(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org)
    url = uptimeio_url(incident, page_id)
    body = {"message": "Root cause found.", "status": "identified"}
    assert (await client.post(url, json=body, headers=api_key(org.headers))).status_code == 201
    unpublished = await client.patch(
        f"/v1/status-pages/{page_id}", json={"published": False}, headers=org.headers
    )
    assert unpublished.status_code == 200, unpublished.text
    body = {"message": "Fix deployed.", "status": "monitoring"}
    response = await client.post(url, json=body, headers=api_key(org.headers))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Status page not found"
    assert (await v1_incident(client, org, incident))["status"] == "identified"
