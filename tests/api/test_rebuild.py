"""Projections dropped and rebuilt from the log equal the live ones, even under writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.store.rebuild import rebuild_projections
from testkit.databases import projection_rows
from tests.api.conftest import Org, open_incident


async def build_maintenances(client: AsyncTestClient, org: Org) -> None:
    """Maintenances with every event type of theirs."""
    starts = datetime.now(UTC) + timedelta(hours=1)
    for n in range(3):
        created = await client.post(
            "/v1/maintenances",
            json={
                "title": f"Upgrade {n}",
                "componentIds": [org.payments, org.search],
                "scheduledFor": starts.isoformat(),
                "scheduledUntil": (starts + timedelta(hours=1)).isoformat(),
            },
            headers=org.headers,
        )
        url = f"/v1/maintenances/{created.json()['data']['id']}"
        await client.patch(
            url,
            json={"description": "More work", "scheduledFor": starts.isoformat()},
            headers=org.headers,
        )
        await client.patch(
            url,
            json={"scheduledUntil": (starts + timedelta(hours=2)).isoformat()},
            headers=org.headers,
        )
        if n == 0:
            await client.post(f"{url}/cancel", headers=org.headers)
            continue
        posted = await client.post(
            f"{url}/updates",
            json={"visibility": "public", "body": "Started", "statusChange": "in_progress"},
            headers=org.headers,
        )
        await client.post(
            f"{url}/updates",
            json={"visibility": "internal", "body": "note", "statusChange": "verifying"},
            headers=org.headers,
        )
        await client.post(
            f"{url}/updates/{posted.json()['data']['id']}/redact", headers=org.headers
        )
        if n == 2:
            await client.post(f"{url}/complete", headers=org.headers)


async def build_history(client: AsyncTestClient, org: Org) -> None:
    """Several incidents and maintenances with every event type."""
    await build_maintenances(client, org)
    for n in range(3):
        incident = await open_incident(client, org, components=[org.payments, org.search])
        url = f"/v1/incidents/{incident['id']}"
        await client.patch(
            url, json={"title": f"Incident {n}", "severity": "major"}, headers=org.headers
        )
        await client.post(
            f"{url}/updates",
            json={
                "visibility": "internal",
                "body": "internal",
                "componentStatuses": [{"componentId": org.search, "status": "full_outage"}],
            },
            headers=org.headers,
        )
        posted = await client.post(
            f"{url}/updates",
            json={
                "visibility": "public",
                "body": f"Public {n}",
                "componentStatuses": [
                    {"componentId": org.payments, "status": "partial_outage"},
                    {"componentId": org.search, "status": "degraded_performance"},
                ],
            },
            headers=org.headers,
        )
        await client.post(
            f"{url}/updates",
            json={"visibility": "internal", "body": "note", "statusChange": "identified"},
            headers=org.headers,
        )
        await client.patch(url, json={"componentIds": [org.payments]}, headers=org.headers)
        await client.post(
            f"{url}/updates/{posted.json()['data']['id']}/redact", headers=org.headers
        )
        if n != 1:
            await client.post(
                f"{url}/updates",
                json={"visibility": "public", "body": "Fixed", "statusChange": "resolved"},
                headers=org.headers,
            )


async def test_rebuild_gives_identical_projections(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    await build_history(client, org)
    before = await projection_rows(pool)
    assert all(before.values()), "every projection has rows"
    bodies = await pool.fetchval("SELECT count(*) FROM update_bodies")

    async with pool.acquire() as conn:
        replayed = await rebuild_projections(conn, another=pool.acquire, batch_size=2)
    assert replayed == await pool.fetchval("SELECT count(*) FROM events")
    assert await projection_rows(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM update_bodies") == bodies
    # The API still reads the swapped-in tables.
    listed = await client.get("/v1/incidents", headers=org.headers)
    assert len(listed.json()["data"]) == 3


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
async def test_commands_during_a_rebuild_are_not_lost(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, keyed: bool
) -> None:
    await build_history(client, org)
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    progress: list[int] = []

    async def write() -> int:
        created = 0
        for n in range(30):
            key = {"Idempotency-Key": f"during-{n}"} if keyed else {}
            response = await client.post(
                url,
                json={"visibility": "internal", "body": f"during {n}"},
                headers={**org.headers, **key},
            )
            created += response.status_code == 201
            await asyncio.sleep(0)
        return created

    async def rebuild() -> None:
        async with pool.acquire() as conn:
            await rebuild_projections(
                conn,
                another=pool.acquire,
                batch_size=1,
                on_progress=lambda done, total: progress.append(done),
            )

    created, _ = await asyncio.gather(write(), rebuild())
    assert created == 30
    assert progress == sorted(progress) and len(progress) > 1
    shown = (await client.get(url, params={"limit": "100"}, headers=org.headers)).json()["data"]
    assert len(shown) == 30
    live = await projection_rows(pool)
    async with pool.acquire() as conn:
        await rebuild_projections(conn)
    assert await projection_rows(pool) == live


async def test_a_rebuild_keeps_every_index_of_the_projections(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    await build_history(client, org)
    indexes = "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
    before = await pool.fetch(indexes)

    async with pool.acquire() as conn:
        await rebuild_projections(conn, batch_size=3)
    assert await pool.fetch(indexes) == before
