"""Subscribers are told of a maintenance: scheduled, reminded, started, completed, moved,
cancelled; once each, in Statuspage's webhook shape, with the window, components and
description in every message. The whole life runs with the test driving the clock."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.store import deliveries
from tests.api.conftest import Org
from tests.workers.conftest import StartWorker
from tests.workers.helpers import add_email, add_webhook, jobs_done
from tests.workers.services import Mailbox, Receiver, eventually
from workers.maintenance_clock import move_due

URL = "/v1/maintenances"
DESCRIPTION = "The primary database moves to new hardware; card payments may pause."


class Clock:
    """The time the API and the worker's clock go by in a test: it moves when told to."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(settings: Settings, clock: Clock) -> AsyncIterator[AsyncTestClient]:
    """The API with the test's clock: the org fixture and every request go through it."""
    async with AsyncTestClient(create_app(settings, clock=clock)) as client:
        yield client


async def schedule(client: AsyncTestClient, org: Org, clock: Clock, **fields: object) -> dict:
    starts = clock.now + timedelta(hours=2)
    response = await client.post(
        URL,
        json={
            "title": "Database upgrade",
            "description": DESCRIPTION,
            "componentIds": [org.payments],
            "scheduledFor": starts.isoformat(),
            "scheduledUntil": (starts + timedelta(hours=1)).isoformat(),
            **fields,
        },
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def hooks_of(receiver: Receiver, path: str) -> list[dict]:
    return [item.body for item in receiver.received if item.path == path]


async def test_the_whole_life_of_a_maintenance_with_the_clock_driven_by_the_test(
    client: AsyncTestClient,
    org: Org,
    clock: Clock,
    pool: asyncpg.Pool,
    receiver: Receiver,
    mailbox: Mailbox,
    start_worker: StartWorker,
    redis_url: str,
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    await add_email(client, org, "reader@example.com")
    start_worker()

    async def told(count: int) -> None:
        await eventually(lambda: _count(receiver, count), what=f"{count} webhooks")
        await eventually(jobs_done(redis_url), what="the queue drained")

    planned = await schedule(client, org, clock)
    await told(1)

    clock.now += timedelta(minutes=59)  # the window opens in 61 minutes: no reminder yet
    assert await move_due(pool, clock.now) == 0
    clock.now += timedelta(minutes=1, seconds=30)
    assert await move_due(pool, clock.now) == 1  # the reminder, once
    assert await move_due(pool, clock.now) == 0
    await told(2)

    clock.now = datetime.fromisoformat(planned["scheduledFor"])
    assert await move_due(pool, clock.now) == 1  # started by the system
    await told(3)
    clock.now += timedelta(minutes=20)
    update = await client.post(
        f"{URL}/{planned['id']}/updates",
        json={"visibility": "public", "body": "Half the rows are copied."},
        headers=org.headers,
    )
    assert update.status_code == 201, update.text
    shown = (await client.get("/status/acme")).text
    assert "Half the rows are copied." in shown and "Service Under Maintenance" in shown

    clock.now = datetime.fromisoformat(planned["scheduledUntil"])
    assert await move_due(pool, clock.now) == 1  # completed by the system
    await told(4)
    assert (await client.get(f"{URL}/{planned['id']}", headers=org.headers)).json()["data"][
        "status"
    ] == "completed"

    hooks = hooks_of(receiver, "/hook")
    statuses = [hook["incident"]["status"] for hook in hooks]
    assert statuses == ["scheduled", "scheduled", "in_progress", "completed"]
    for hook in hooks:
        sent = hook["incident"]
        assert (sent["id"], sent["impact"]) == (planned["id"], "maintenance")
        assert (sent["scheduled_for"], sent["scheduled_until"]) == (
            planned["scheduledFor"],
            planned["scheduledUntil"],
        )
        assert [c["name"] for c in sent["components"]] == ["Payments API"]
        assert sent["incident_updates"][-1]["body"] == DESCRIPTION
    assert len(set(receiver.keys())) == 4  # each notice its own Idempotency-Key

    subjects = [mail["Subject"] for mail in mailbox.to("reader@example.com")]
    assert subjects == [
        "[Acme] Scheduled maintenance: Database upgrade",
        "[Acme] Maintenance reminder: Database upgrade",
        "[Acme] Maintenance in progress: Database upgrade",
        "[Acme] Maintenance completed: Database upgrade",
    ]
    text = mailbox.to("reader@example.com")[0].get_body(("plain",)).get_content()
    assert "Affects: Payments API" in text and DESCRIPTION in text
    assert "Window: " in text and "UTC to " in text


async def _count(receiver: Receiver, count: int) -> bool:
    return len(receiver.received) >= count


async def test_component_filters_rescheduling_and_cancelling(
    client: AsyncTestClient,
    org: Org,
    clock: Clock,
    receiver: Receiver,
    start_worker: StartWorker,
    redis_url: str,
) -> None:
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    await client.patch(
        f"/v1/status-pages/{pages[0]['id']}",
        json={"componentIds": [org.payments, org.search]},
        headers=org.headers,
    )
    await add_webhook(client, org, receiver, "/all")
    await add_webhook(client, org, receiver, "/search-only", components=[org.search])
    start_worker()
    planned = await schedule(client, org, clock)  # on payments only
    await eventually(lambda: _count(receiver, 1), what="the first notice")

    later = datetime.fromisoformat(planned["scheduledFor"]) + timedelta(days=1)
    moved = await client.patch(
        f"{URL}/{planned['id']}",
        json={
            "scheduledFor": later.isoformat(),
            "scheduledUntil": (later + timedelta(hours=1)).isoformat(),
        },
        headers=org.headers,
    )
    assert moved.status_code == 200, moved.text
    await eventually(lambda: _count(receiver, 2), what="the new window")
    await eventually(jobs_done(redis_url), what="the queue drained")
    # Subscribed after it was announced: not told it is off, as never told it was on.
    await add_webhook(client, org, receiver, "/newcomer")
    await client.post(f"{URL}/{planned['id']}/cancel", headers=org.headers)
    await eventually(lambda: _count(receiver, 3), what="the cancellation")
    await eventually(jobs_done(redis_url), what="the queue drained")

    assert Counter(item.path for item in receiver.received) == {"/all": 3}
    rescheduled, cancelled = hooks_of(receiver, "/all")[1:]
    assert rescheduled["incident"]["scheduled_for"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert cancelled["incident"]["status"] == "cancelled"


async def test_a_cancellation_written_a_few_subscribers_at_a_time_reaches_everyone_told(
    client: AsyncTestClient,
    org: Org,
    clock: Clock,
    receiver: Receiver,
    start_worker: StartWorker,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deliveries, "FAN_OUT_CHUNK", 2)
    paths = [f"/hooks/{n}" for n in range(5)]
    for path in paths:
        await add_webhook(client, org, receiver, path)
    start_worker()
    planned = await schedule(client, org, clock)
    await eventually(lambda: _count(receiver, len(paths)), what="the notices")
    await eventually(jobs_done(redis_url), what="the queue drained")
    await client.post(f"{URL}/{planned['id']}/cancel", headers=org.headers)
    await eventually(lambda: _count(receiver, 2 * len(paths)), what="the cancellation")
    await eventually(jobs_done(redis_url), what="the queue drained")

    for path in paths:
        assert [hook["incident"]["status"] for hook in hooks_of(receiver, path)] == [
            "scheduled",
            "cancelled",
        ]
