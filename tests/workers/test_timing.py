"""How soon messages leave: none waits for the stale sweep, none waits for a slow neighbour."""

from __future__ import annotations

import asyncio
from datetime import datetime

from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, open_incident
from tests.workers.conftest import StartWorker
from tests.workers.helpers import add_webhook, deliveries, post_update, settled
from tests.workers.services import Receiver, eventually


def _seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


async def test_bursts_of_updates_are_all_first_attempted_within_two_seconds(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    subscribers = 8
    for n in range(subscribers):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    # The production interval: a row the queue never ran would wait a minute for the sweep.
    start_worker(stale_after=60.0)
    incidents = [await open_incident(client, org) for _ in range(3)]
    posted = 0
    for burst in range(8):
        await asyncio.gather(
            *(
                post_update(client, org, incident, body=f"Burst {burst}, update {n}.")
                for incident in incidents
                for n in range(3)
            )
        )
        posted += len(incidents) * 3
        # Well before the stale sweep would pick up a row the queue never ran.
        await eventually(settled(client, org, posted * subscribers), what=f"burst {burst}")

    rows = await deliveries(client, org)
    assert len(rows) == posted * subscribers
    assert {(row["status"], row["attempts"]) for row in rows} == {("delivered", 1)}
    late = sorted(_seconds(row["lastAttemptAt"], row["createdAt"]) for row in rows)
    assert late[-1] < 2.0, f"first attempts as late as {late[-5:]} s after the row was made"
