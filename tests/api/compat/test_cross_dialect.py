"""One incident, three dialects: the same updates whoever posted them, read through v1.

The status page and notifications are checked across dialects in
tests/workers/test_cross_dialect.py.
"""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.compat.conftest import INCIDENTIO, uptimeio_url, v1_incident, v1_updates
from tests.api.conftest import Org, event_count, open_incident


async def test_updates_from_every_dialect_read_alike_through_v1(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org)
    v1 = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": "Investigating."},
        headers=org.headers,
    )
    incidentio = await client.post(
        INCIDENTIO,
        json={
            "status_page_incident_id": incident["id"],
            "message": "Identified: a bad deploy.",
            "notify_subscribers": False,
            "incident_status": "identified",
            "component_statuses": [
                {"component_id": org.payments, "component_status": "partial_outage"}
            ],
        },
        headers=org.headers,
    )
    uptimeio = await client.post(
        uptimeio_url(incident, page_id),
        json={"message": "Fix deployed; monitoring.", "status": "monitoring"},
        headers=org.headers,
    )
    ids = [
        v1.json()["data"]["id"],
        incidentio.json()["status_page_incident_update"]["id"],
        uptimeio.json()["data"]["update"]["id"],
    ]

    updates = await v1_updates(client, org, incident)
    assert [u["id"] for u in updates] == ids
    assert [u["body"] for u in updates] == [
        "Investigating.",
        "Identified: a bad deploy.",
        "Fix deployed; monitoring.",
    ]
    assert [u["statusChange"] for u in updates] == [None, "identified", "monitoring"]
    assert [u["notifySubscribers"] for u in updates] == [True, False, True]
    assert {u["visibility"] for u in updates} == {"public"}
    assert {u["postedBy"]["name"] for u in updates} == {"Alice Chen"}
    assert updates[1]["componentStatuses"] == [
        {"componentId": org.payments, "status": "partial_outage"}
    ]
    shown = await v1_incident(client, org, incident)
    assert shown["status"] == "monitoring"
    assert shown["componentStatuses"] == [{"componentId": org.payments, "status": "partial_outage"}]


async def test_an_update_posted_elsewhere_is_redacted_through_v1(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    posted = await client.post(
        INCIDENTIO,
        json={
            "status_page_incident_id": incident["id"],
            "message": "Wrong customer named here.",
            "notify_subscribers": True,
        },
        headers=org.headers,
    )
    update_id = posted.json()["status_page_incident_update"]["id"]
    url = f"/v1/incidents/{incident['id']}/updates/{update_id}/redact"
    assert (await client.post(url, headers=org.headers)).status_code == 200
    [update] = await v1_updates(client, org, incident)
    assert update["body"] is None and update["redactedAt"] is not None


async def test_the_101st_update_is_refused_counting_every_dialects_updates(
    client: AsyncTestClient, org: Org, page_id: str, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)

    async def via_v1() -> int:
        body = {"visibility": "internal", "body": "note"}
        url = f"/v1/incidents/{incident['id']}/updates"
        return (await client.post(url, json=body, headers=org.headers)).status_code

    async def via_uptimeio() -> int:
        body = {"message": "note", "status": "investigating"}
        url = uptimeio_url(incident, page_id)
        return (await client.post(url, json=body, headers=org.headers)).status_code

    async def via_incidentio():
        body = {"status_page_incident_id": incident["id"], "message": "note"}
        return await client.post(
            INCIDENTIO, json=body | {"notify_subscribers": False}, headers=org.headers
        )

    assert {await via_v1() for _ in range(40)} == {201}
    assert {await via_uptimeio() for _ in range(40)} == {201}
    # The 100th update is the last one incident.io's limit allows.
    assert {(await via_incidentio()).status_code for _ in range(20)} == {201}

    before = await event_count(pool)
    response = await via_incidentio()
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "update_limit_reached"
    assert error["source"] == {"field": "status_page_incident_id"}
    assert "100" in error["message"]
    assert await event_count(pool) == before
    # The limit is a promise of the incident.io dialect, not a rule of Herald's own API.
    assert await via_v1() == 201
    assert await via_uptimeio() == 201
