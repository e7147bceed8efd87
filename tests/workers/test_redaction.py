"""A redaction stops the send: no message built after it commits carries the redacted text."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.testing import AsyncTestClient

from app.config import Settings
from tests.api.conftest import Org, open_incident
from tests.workers.conftest import StartWorker
from tests.workers.helpers import (
    add_email,
    add_webhook,
    deliveries,
    jobs_done,
    post_update,
    settled,
)
from tests.workers.services import Mailbox, Receiver, eventually
from workers.delivery.slots import PER_HOST

TAKEN_BACK = "Blaming our vendor, oops."


async def test_messages_waiting_for_their_slot_when_a_redaction_commits_are_not_sent(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    start_worker: StartWorker,
    settings: Settings,
) -> None:
    # One receiver host: the first PER_HOST messages are on the wire, the rest of the batch
    # already has the body in hand and waits for a slot while the redaction commits.
    hooks = PER_HOST + 6
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    receiver.delay = 1.0
    start_worker()
    incident = await open_incident(client, org)
    update = await post_update(client, org, incident, body=TAKEN_BACK)

    async def on_the_wire() -> bool:
        return len(receiver.attempts) >= PER_HOST

    await eventually(on_the_wire, what="the first messages on the wire")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{update['id']}/redact", headers=org.headers
    )
    assert response.status_code == 200
    redacted_at = datetime.now(UTC)
    await eventually(settled(client, org, hooks), what="every row settled")
    await eventually(jobs_done(settings.redis_url), what="the job that held the batch")

    leaks = [
        item.path
        for item in receiver.received
        if datetime.fromisoformat(item.body["meta"]["generated_at"]) > redacted_at
        and TAKEN_BACK in repr(item.body)
    ]
    assert leaks == []
    statuses = sorted(row["status"] for row in await deliveries(client, org))
    assert statuses == ["cancelled"] * (hooks - PER_HOST) + ["delivered"] * PER_HOST


async def test_messages_showing_an_earlier_update_redacted_while_they_wait_are_built_again(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    start_worker: StartWorker,
    settings: Settings,
) -> None:
    # A message about the later update shows the whole timeline, the earlier update's text
    # too. Those waiting for their slot when the earlier one is redacted must not go as they
    # were built; the later update is still news, so they go again without it.
    hooks = PER_HOST + 6
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    start_worker()
    incident = await open_incident(client, org)
    earlier = await post_update(client, org, incident, body=TAKEN_BACK)
    await eventually(settled(client, org, hooks), what="the earlier update told")
    receiver.delay = 1.0
    later_text = "Resolved with the vendor."
    await post_update(client, org, incident, body=later_text)

    async def on_the_wire() -> bool:
        return len(receiver.attempts) >= hooks + PER_HOST

    await eventually(on_the_wire, what="the later update's first messages on the wire")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{earlier['id']}/redact", headers=org.headers
    )
    assert response.status_code == 200
    redacted_at = datetime.now(UTC)
    await eventually(settled(client, org, 2 * hooks), what="every row settled")
    await eventually(jobs_done(settings.redis_url), what="the messages built again")

    later = [item for item in receiver.received if later_text in repr(item.body)]
    stamped_after = [
        item
        for item in later
        if datetime.fromisoformat(item.body["meta"]["generated_at"]) > redacted_at
    ]
    assert stamped_after, "some messages waited while the redaction committed"
    assert [item.path for item in stamped_after if TAKEN_BACK in repr(item.body)] == []
    assert sorted(item.path for item in later) == sorted(f"/hooks/{n}" for n in range(hooks))
    statuses = [row["status"] for row in await deliveries(client, org)]
    assert statuses == ["delivered"] * (2 * hooks)


async def test_mails_not_yet_sent_when_a_redaction_commits_are_not_sent(
    client: AsyncTestClient,
    org: Org,
    mailbox: Mailbox,
    start_worker: StartWorker,
    settings: Settings,
) -> None:
    readers = 6
    for n in range(readers):
        await add_email(client, org, f"reader{n}@example.com")
    # One SMTP connection sends a batch's mails one after the other.
    mailbox.delay = 0.4
    start_worker()
    incident = await open_incident(client, org)
    update = await post_update(client, org, incident, body=TAKEN_BACK)

    async def first_accepted() -> bool:
        return len(mailbox.messages) >= 1

    await eventually(first_accepted, what="the first mail")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{update['id']}/redact", headers=org.headers
    )
    assert response.status_code == 200
    await eventually(settled(client, org, readers), what="every row settled")
    await eventually(jobs_done(settings.redis_url), what="the job that held the batch")

    # The mail being accepted as the redaction committed may still arrive; no later one.
    assert len(mailbox.messages) <= 2
    statuses = [row["status"] for row in await deliveries(client, org)]
    assert statuses.count("cancelled") >= readers - 2


async def test_batches_started_after_a_redaction_do_not_carry_an_earlier_update_redacted(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    start_worker: StartWorker,
    settings: Settings,
) -> None:
    # A message about a later update carries the incident's whole timeline, the earlier
    # update's text too; one batch at a time, so the later batches start after the redaction
    # and must not be built from what the first batch read.
    hooks = 6
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    start_worker(delivery_batch=2, worker_max_jobs=1)
    incident = await open_incident(client, org)
    earlier = await post_update(client, org, incident, body=TAKEN_BACK)
    await eventually(settled(client, org, hooks), what="the earlier update told")
    receiver.delay = 0.5
    await post_update(client, org, incident, body="Resolved with the vendor.")

    async def first_batch_on_the_wire() -> bool:
        return len(receiver.attempts) >= hooks + 1

    await eventually(first_batch_on_the_wire, what="the later update's first batch")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{earlier['id']}/redact", headers=org.headers
    )
    assert response.status_code == 200
    redacted_at = datetime.now(UTC)
    await eventually(settled(client, org, 2 * hooks), what="every row settled")
    await eventually(jobs_done(settings.redis_url), what="the last batch")

    later = [
        item
        for item in receiver.received
        if datetime.fromisoformat(item.body["meta"]["generated_at"]) > redacted_at
    ]
    assert later, "some batch started after the redaction"
    assert [item.path for item in later if TAKEN_BACK in repr(item.body)] == []
    statuses = [row["status"] for row in await deliveries(client, org)]
    assert statuses == ["delivered"] * (2 * hooks)
