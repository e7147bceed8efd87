"""Updates posted through the drop-in dialects notify subscribers like native ones."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.compat.conftest import INCIDENTIO, uptimeio_url
from tests.api.conftest import Org, open_incident
from tests.workers.helpers import add_webhook, page_of
from tests.workers.services import Receiver
from workers.dispatcher import dispatch


async def test_every_dialect_owes_the_same_deliveries(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    subscriber = await add_webhook(client, org, receiver, "/hook")
    incident = await open_incident(client, org)
    incidentio = await client.post(
        INCIDENTIO,
        json={
            "status_page_incident_id": incident["id"],
            "message": "Identified: a bad deploy.",
            "notify_subscribers": True,
            "incident_status": "identified",
        },
        headers=org.headers,
    )
    quiet = await client.post(
        INCIDENTIO,
        json={
            "status_page_incident_id": incident["id"],
            "message": "A note nobody is told about.",
            "notify_subscribers": False,
        },
        headers=org.headers,
    )
    uptimeio = await client.post(
        uptimeio_url(incident, await page_of(client, org)),
        json={"message": "Fix deployed; monitoring.", "status": "monitoring"},
        headers=org.headers,
    )
    async with pool.acquire() as conn:
        await dispatch(conn, max_attempts=10)
    owed = await pool.fetch(
        "SELECT update_id::text AS update_id FROM deliveries WHERE subscriber_id = $1"
        " ORDER BY event_position",
        subscriber["id"],
    )
    assert [row["update_id"] for row in owed] == [
        incidentio.json()["status_page_incident_update"]["id"],
        uptimeio.json()["data"]["update"]["id"],
    ]
    assert quiet.json()["status_page_incident_update"]["id"] not in {r["update_id"] for r in owed}

    summary = (await client.get("/status/acme/api/v2/summary.json")).json()
    [shown] = summary["incidents"]
    assert [u["body"] for u in shown["incident_updates"]] == [
        "Fix deployed; monitoring.",
        "A note nobody is told about.",
        "Identified: a bad deploy.",
    ]
