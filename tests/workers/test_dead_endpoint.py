"""A receiver that never answers holds back nobody else on its host beyond one slot of the
per-host cap."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, open_incident
from tests.workers.conftest import StartWorker
from tests.workers.helpers import add_webhook, deliveries, post_update
from tests.workers.services import Receiver, eventually


async def test_healthy_subscribers_on_a_dead_endpoints_host_are_told_while_it_hangs(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    healthy = 60
    await add_webhook(client, org, receiver, "/dead")
    for n in range(healthy):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    send_timeout = 6.0
    receiver.slow[("/dead", 1)] = send_timeout + 1  # never answers before the timeout
    receiver.delay = 0.02
    start_worker(send_timeout=send_timeout, job_timeout=60.0, delivery_batch=10)
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    async def healthy_told() -> bool:
        # The receiver records a request before the worker settles its row: wait for both.
        told = len({item.path for item in receiver.received}) == healthy
        settled = [row["status"] for row in await deliveries(client, org)]
        return told and settled.count("delivered") == healthy

    # Well inside the dead endpoint's timeout: its hanging request takes one slot, no more.
    await eventually(healthy_told, within=send_timeout / 2, what="every healthy subscriber")
    rows = await deliveries(client, org)
    statuses = sorted(row["status"] for row in rows)
    assert statuses == ["delivered"] * healthy + ["pending"]
    assert "/dead" in {path for path, _ in receiver.attempts}
