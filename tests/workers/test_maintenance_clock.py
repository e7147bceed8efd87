"""The clock starts and completes maintenances at their window's edges, once, as the system."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
from litestar.testing import AsyncTestClient

from app.config import Settings
from tests.api.conftest import Org
from workers.maintenance_clock import move_due, tick_maintenances
from workers.settings import worker_settings

URL = "/v1/maintenances"


async def schedule(client: AsyncTestClient, org: Org, **fields: object) -> tuple[dict, datetime]:
    starts = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    response = await client.post(
        URL,
        json={
            "title": "Database upgrade",
            "componentIds": [org.payments],
            "scheduledFor": starts.isoformat(),
            "scheduledUntil": (starts + timedelta(hours=1)).isoformat(),
            **fields,
        },
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["data"], starts


async def shown(client: AsyncTestClient, org: Org, maintenance: dict) -> dict:
    return (await client.get(f"{URL}/{maintenance['id']}", headers=org.headers)).json()["data"]


async def moves(pool: asyncpg.Pool, maintenance: dict) -> list[tuple[str, str]]:
    """The starts and completions in the maintenance's log, with who made them."""
    rows = await pool.fetch(
        "SELECT type, coalesce(data->'started_by'->>'name', data->'completed_by'->>'name') AS by"
        " FROM events WHERE stream_id = $1"
        " AND type IN ('MaintenanceStarted', 'MaintenanceCompleted') ORDER BY version",
        maintenance["id"],
    )
    return [(row["type"], row["by"]) for row in rows]


async def test_the_clock_starts_and_completes_at_the_window_edges(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    maintenance, starts = await schedule(client, org, reminderMinutes=None)
    assert await move_due(pool, starts - timedelta(seconds=1)) == 0
    assert (await shown(client, org, maintenance))["status"] == "scheduled"

    assert await move_due(pool, starts) == 1
    started = await shown(client, org, maintenance)
    assert (started["status"], started["startedAt"]) == ("in_progress", started["scheduledFor"])
    assert await move_due(pool, starts + timedelta(minutes=59)) == 0

    ends = starts + timedelta(hours=1)
    assert await move_due(pool, ends) == 1
    completed = await shown(client, org, maintenance)
    assert (completed["status"], completed["completedAt"]) == (
        "completed",
        completed["scheduledUntil"],
    )
    assert await moves(pool, maintenance) == [
        ("MaintenanceStarted", "Herald"),
        ("MaintenanceCompleted", "Herald"),
    ]


async def test_the_reminder_is_recorded_once_when_due_and_never_after_the_start(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    maintenance, starts = await schedule(client, org, reminderMinutes=30)
    assert await move_due(pool, starts - timedelta(minutes=31)) == 0
    assert await move_due(pool, starts - timedelta(minutes=30)) == 1
    assert await move_due(pool, starts - timedelta(minutes=29)) == 0
    _, late_starts = await schedule(client, org, reminderMinutes=30)
    assert await move_due(pool, late_starts) == 2  # both start; the late one is not reminded
    reminded = await pool.fetch("SELECT stream_id FROM events WHERE type = 'MaintenanceReminded'")
    assert [row["stream_id"] for row in reminded] == [UUID(maintenance["id"])]


async def test_a_worker_that_was_down_catches_up(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    whole, starts = await schedule(client, org)
    running, _ = await schedule(client, org, autoComplete=False)
    by_hand, _ = await schedule(client, org, autoStart=False)
    assert await move_due(pool, starts + timedelta(hours=5)) == 3  # two starts, one completion
    assert (await shown(client, org, whole))["status"] == "completed"
    assert (await shown(client, org, running))["status"] == "in_progress"
    assert (await shown(client, org, by_hand))["status"] == "scheduled"


async def test_several_workers_at_once_move_each_maintenance_once(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    maintenances = [(await schedule(client, org))[0] for _ in range(3)]
    later = max(datetime.fromisoformat(m["scheduledUntil"]) for m in maintenances)
    await asyncio.gather(*(move_due(pool, later) for _ in range(4)))
    for maintenance in maintenances:
        assert await moves(pool, maintenance) == [
            ("MaintenanceStarted", "Herald"),
            ("MaintenanceCompleted", "Herald"),
        ]


async def test_a_start_by_hand_racing_the_clock_is_neither_lost_nor_doubled(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    for _ in range(3):
        maintenance, starts = await schedule(client, org, autoComplete=False)
        by_hand, by_clock = await asyncio.gather(
            client.post(f"{URL}/{maintenance['id']}/start", headers=org.headers),
            move_due(pool, starts),
        )
        assert by_hand.status_code == 200, by_hand.text
        assert by_hand.json()["data"]["status"] == "in_progress"
        recorded = await moves(pool, maintenance)
        assert len(recorded) == 1 and recorded[0][0] == "MaintenanceStarted"
        assert by_clock == (recorded[0][1] == "Herald")


async def test_a_cancelled_or_rescheduled_maintenance_is_left_alone(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    cancelled, starts = await schedule(client, org)
    await client.post(f"{URL}/{cancelled['id']}/cancel", headers=org.headers)
    moved, _ = await schedule(client, org)
    later = starts + timedelta(days=1)
    response = await client.patch(
        f"{URL}/{moved['id']}",
        json={
            "scheduledFor": later.isoformat(),
            "scheduledUntil": (later + timedelta(hours=1)).isoformat(),
        },
        headers=org.headers,
    )
    assert response.status_code == 200, response.text
    assert await move_due(pool, starts + timedelta(minutes=5)) == 0
    assert (await shown(client, org, cancelled))["status"] == "cancelled"
    assert (await shown(client, org, moved))["status"] == "scheduled"


async def test_every_worker_runs_the_clock_four_times_a_minute(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    (job,) = [
        job
        for job in worker_settings(settings, context=None)["cron_jobs"]  # type: ignore[arg-type]
        if job.coroutine is tick_maintenances
    ]
    assert job.second == {0, 15, 30, 45} and job.unique
