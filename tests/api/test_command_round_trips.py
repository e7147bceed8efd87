"""A command costs a constant number of round trips to PostgreSQL, whatever its history."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.domain.commands import RedactUpdate
from app.domain.errors import DomainError
from app.domain.values import Actor
from app.handle import handle
from app.store.event_store import EventMetadata
from app.store.rebuild import rebuild_projections
from testkit.databases import projection_rows
from tests.api.conftest import CountingPool, Org, event_count, open_incident
from tests.workers.services import eventually


def public_update(org: Org, n: int) -> dict:
    return {
        "visibility": "public",
        "body": f"Update {n}",
        "componentStatuses": [
            {
                "componentId": org.payments,
                "status": ("degraded_performance", "partial_outage")[n % 2],
            }
        ],
    }


async def test_a_public_update_is_two_round_trips_however_long_the_history(
    client: AsyncTestClient, org: Org, counted: CountingPool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    for n in range(40):
        response = await client.post(url, json=public_update(org, n), headers=org.headers)
        assert response.status_code == 201, response.text
    counted.statements.clear()
    response = await client.post(url, json=public_update(org, 40), headers=org.headers)
    assert response.status_code == 201, response.text
    # One read (snapshot with the published components), one write; no BEGIN, no COMMIT.
    assert len(counted.statements) == 2, counted.statements
    assert not any("FROM events WHERE stream_id = $1 ORDER BY" in s for s in counted.statements)
    shown = await client.get(f"/v1/incidents/{incident['id']}", headers=org.headers)
    assert shown.json()["data"]["componentStatuses"][0]["status"] == "degraded_performance"


async def test_a_keyed_update_is_three_round_trips_and_its_retry_one(
    client: AsyncTestClient, org: Org, counted: CountingPool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    keyed = {**org.headers, "Idempotency-Key": "first"}
    await client.post(url, json=public_update(org, 0), headers=keyed)  # types learnt once
    counted.statements.clear()
    keyed = {**org.headers, "Idempotency-Key": "second"}
    response = await client.post(url, json=public_update(org, 1), headers=keyed)
    assert response.status_code == 201, response.text
    # The key claimed with its outcome looked up, the snapshot, the writes with the outcome.
    assert len(counted.statements) == 3, counted.statements
    counted.statements.clear()
    again = await client.post(url, json=public_update(org, 1), headers=keyed)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["id"] == response.json()["data"]["id"]
    assert len(counted.statements) == 1, counted.statements


@pytest.mark.parametrize(
    "update",
    [
        {"visibility": "internal", "body": "   ", "statusChange": "identified"},
        {"visibility": "internal", "body": "Rolled back.", "notifySubscribers": False},
    ],
    ids=["bare status change", "note"],
)
async def test_a_posted_update_is_answered_as_it_reads_back(
    client: AsyncTestClient, org: Org, update: dict
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    answers = []
    for body in (update, public_update(org, 1)):
        posted = await client.post(url, json=body, headers=org.headers)
        assert posted.status_code == 201, posted.text
        answers.append(posted.json()["data"])
    listed = await client.get(url, headers=org.headers)
    assert listed.json()["data"] == answers


async def test_opening_and_editing_are_two_round_trips(
    client: AsyncTestClient, org: Org, counted: CountingPool
) -> None:
    await open_incident(client, org)  # asyncpg learns the statements' types once per connection
    counted.statements.clear()
    incident = await open_incident(client, org)
    assert len(counted.statements) == 2, counted.statements
    counted.statements.clear()
    response = await client.patch(
        f"/v1/incidents/{incident['id']}",
        json={"componentIds": [org.payments, org.search]},
        headers=org.headers,
    )
    assert response.status_code == 200, response.text
    assert len(counted.statements) == 2, counted.statements


async def test_an_unknown_component_is_refused_from_the_same_read(
    client: AsyncTestClient, org: Org, counted: CountingPool, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    before = await event_count(pool)
    counted.statements.clear()
    response = await client.patch(
        f"/v1/incidents/{incident['id']}",
        json={"componentIds": [str(uuid.uuid4())]},
        headers=org.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "componentIds[0]", response.text
    assert len(counted.statements) == 1, counted.statements
    assert await event_count(pool) == before


async def test_concurrent_updates_get_gapless_versions_and_the_rebuild_agrees(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    responses = await asyncio.gather(
        *(client.post(url, json=public_update(org, n), headers=org.headers) for n in range(50))
    )
    assert [r.status_code for r in responses] == [201] * 50
    versions = await pool.fetch(
        "SELECT version FROM events WHERE stream_id = $1 ORDER BY version", incident["id"]
    )
    assert [row["version"] for row in versions] == list(range(1, len(versions) + 1))
    assert len(versions) >= 51
    listed = await client.get(url, headers=org.headers, params={"limit": 100})
    assert len(listed.json()["data"]) == 50
    live = await projection_rows(pool)
    async with pool.acquire() as conn:
        await rebuild_projections(conn)
    assert await projection_rows(pool) == live


async def test_an_incident_without_a_snapshot_is_folded_from_its_log(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    """A row written before snapshots were kept (migration 0003 leaves it NULL)."""
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    await client.post(url, json=public_update(org, 1), headers=org.headers)
    await pool.execute("UPDATE incidents SET snapshot = NULL WHERE id = $1", incident["id"])
    response = await client.post(
        url, json={"visibility": "internal", "statusChange": "identified"}, headers=org.headers
    )
    assert response.status_code == 201, response.text
    live = await projection_rows(pool)
    async with pool.acquire() as conn:
        await rebuild_projections(conn)
    assert await projection_rows(pool) == live


async def test_an_incident_with_a_long_history_keeps_a_snapshot_of_constant_size(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"

    async def size() -> int:
        return await pool.fetchval(
            "SELECT pg_column_size(i.*) + octet_length(snapshot::text) FROM incidents i"
            " WHERE id = $1",
            incident["id"],
        )

    for n in range(11):
        await client.post(url, json=public_update(org, n), headers=org.headers)
    early = await size()
    for n in range(11, 61):
        await client.post(url, json=public_update(org, n), headers=org.headers)
    # A byte or two for digits of a count and of times; each update's id would add 36 or more.
    assert abs(await size() - early) <= 16
    shown = await client.get("/status/acme/api/v2/incidents.json")
    [public] = shown.json()["incidents"]
    assert [u["body"] for u in public["incident_updates"]][:2] == ["Update 60", "Update 59"]
    assert len(public["incident_updates"]) == 61


async def test_a_redaction_queued_behind_another_of_the_same_update_is_refused(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    posted = await client.post(url, json=public_update(org, 1), headers=org.headers)
    organization = await pool.fetchval(
        "SELECT organization_id FROM incidents WHERE id = $1", incident["id"]
    )
    redact = RedactUpdate(
        incident_id=uuid.UUID(incident["id"]),
        update_id=uuid.UUID(posted.json()["data"]["id"]),
        actor=Actor(id=uuid.uuid4(), name="Bob Ito"),
        at=datetime.now(UTC),
    )

    async def redact_in_transaction(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            await handle(conn, redact, organization, EventMetadata())

    async with pool.acquire() as first, pool.acquire() as second:
        async with first.transaction():
            await handle(first, redact, organization, EventMetadata())
            queued = asyncio.create_task(redact_in_transaction(second))
            # Commit only once the second redaction has read and waits for the incident's lock.
            waiting = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"
            pid = second.get_server_pid()
            await eventually(lambda: pool.fetchval(waiting, pid), what="the lock wait")
        with pytest.raises(DomainError) as refused:
            await queued
    assert refused.value.code == "already_redacted"
    redactions = await pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'UpdateRedacted'",
        incident["id"],
    )
    assert redactions == 1
