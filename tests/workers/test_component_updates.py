"""Statuspage's component_update webhook, and its mail: who hears a component's public change."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.config import Settings
from app.store import deliveries as delivery_rows
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


def statuspage_dispatch(payload: dict[str, Any]) -> tuple[str, ...]:
    """What a receiver written for Statuspage (a chat integration) makes of a webhook: it
    tells the two kinds apart by their top-level key."""
    if "incident" in payload:
        incident = payload["incident"]
        return ("incident", incident["name"], incident["status"])
    if "component_update" in payload:
        change, component = payload["component_update"], payload["component"]
        return ("component", component["name"], change["old_status"], change["new_status"])
    raise AssertionError(f"neither kind: {sorted(payload)}")


def heard(receiver: Receiver, path: str) -> list[tuple[str, ...]]:
    return [statuspage_dispatch(item.body) for item in receiver.received if item.path == path]


def arrived(receiver: Receiver, count: int):
    async def check() -> bool:
        return len(receiver.received) >= count

    return check


async def test_a_public_component_change_reaches_who_asked_in_statuspage_shape(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    mailbox: Mailbox,
    start_worker: StartWorker,
) -> None:
    await add_webhook(client, org, receiver, "/both", componentChanges=True)
    await add_webhook(client, org, receiver, "/incidents")  # the default: incidents only
    await add_webhook(client, org, receiver, "/components", incidents=False, componentChanges=True)
    await add_email(client, org, "watcher@example.com", componentChanges=True, incidents=False)
    await add_email(client, org, "reader@example.com")
    start_worker()
    incident = await open_incident(client, org)
    await post_update(
        client,
        org,
        incident,
        body="Card payments fail for some customers.",
        componentStatuses=[{"componentId": org.payments, "status": "full_outage"}],
    )
    await eventually(settled(client, org, 6), what="the first round settled")
    await post_update(
        client, org, incident, body="Fixed.", statusChange="resolved", visibility="public"
    )
    await eventually(settled(client, org, 11), what="the second round settled")

    title = incident["title"]
    assert heard(receiver, "/both") == [
        ("incident", title, "investigating"),
        ("component", "Payments API", "operational", "major_outage"),
        ("incident", title, "resolved"),
        ("component", "Payments API", "major_outage", "operational"),
    ]
    assert heard(receiver, "/incidents") == [
        ("incident", title, "investigating"),
        ("incident", title, "resolved"),
    ]
    assert heard(receiver, "/components") == [
        ("component", "Payments API", "operational", "major_outage"),
        ("component", "Payments API", "major_outage", "operational"),
    ]
    # One message per subscriber per change, each with a key of its own, signed as any other.
    received = receiver.received
    assert all(item.signed for item in received)
    assert len({item.key for item in received}) == len(received)

    [down, _] = [item.body for item in received if item.path == "/components"]
    assert set(down) == {"meta", "page", "component_update", "component"}
    assert set(down["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert down["meta"]["unsubscribe"].startswith(
        "http://status.test/status/acme/subscription?token="
    )
    # The page as it is when the message leaves: the incident is still open.
    assert down["page"]["status_indicator"] == "critical"
    change, component = down["component_update"], down["component"]
    assert change["component_id"] == component["id"] == org.payments
    assert change["id"] and change["created_at"] == component["updated_at"]
    assert component["status"] == "major_outage"
    assert component["name"] == "Payments API"

    [mail_down, mail_up] = mailbox.to("watcher@example.com")
    assert mail_down["Subject"] == "[Acme] Payments API: Full outage"
    assert mail_up["Subject"] == "[Acme] Payments API: Operational"
    text = mail_down.get_body(("plain",)).get_content()
    assert "Payments API is Full outage, was Operational" in text
    assert "Manage or unsubscribe: http://status.test/status/acme/subscription?token=" in text
    assert [m["Subject"] for m in mailbox.to("reader@example.com")] == [
        f"[Acme] Investigating: {title}",
        f"[Acme] Resolved: {title}",
    ]
    kinds = [row["kind"] for row in await deliveries(client, org)]
    assert kinds.count("component_update") == 6


async def test_internal_updates_and_silent_updates_send_no_component_change(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    settings: Settings,
    start_worker: StartWorker,
) -> None:
    await add_webhook(client, org, receiver, "/components", componentChanges=True)
    start_worker()
    incident = await open_incident(client, org)
    await post_update(
        client,
        org,
        incident,
        visibility="internal",
        body="The primary database is gone.",
        componentStatuses=[{"componentId": org.payments, "status": "full_outage"}],
    )
    await post_update(
        client,
        org,
        incident,
        body="Payments are slow.",
        notifySubscribers=False,
        componentStatuses=[{"componentId": org.payments, "status": "degraded_performance"}],
    )
    await post_update(
        client,
        org,
        incident,
        body="Some payments fail.",
        componentStatuses=[{"componentId": org.payments, "status": "partial_outage"}],
    )
    await eventually(arrived(receiver, 2), what="two webhooks")
    await eventually(jobs_done(settings.redis_url), what="the queue drained")
    assert heard(receiver, "/components") == [
        ("incident", incident["title"], "investigating"),
        ("component", "Payments API", "degraded_performance", "partial_outage"),
    ]


async def test_only_changes_of_the_worst_status_are_told_to_the_components_chosen(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    settings: Settings,
    start_worker: StartWorker,
) -> None:
    response = await client.post(
        "/v1/status-pages",
        json={
            "name": "Acme everything",
            "slug": "acme-all",
            "componentIds": [org.payments, org.search],
            "published": True,
        },
        headers=org.headers,
    )
    everything = response.json()["data"]["id"]
    only = {"incidents": False, "componentChanges": True}
    await add_webhook(client, org, receiver, "/acme", **only)  # its page shows payments only
    await add_webhook(client, org, receiver, "/all", page_id=everything, **only)
    await add_webhook(client, org, receiver, "/search", [org.search], page_id=everything, **only)
    start_worker()

    def statuses(component: str, status: str) -> list[dict]:
        return [{"componentId": component, "status": status}]

    first = await open_incident(client, org, components=[org.payments, org.search])
    await post_update(
        client,
        org,
        first,
        body="Payments fail, search is slow.",
        componentStatuses=statuses(org.payments, "partial_outage")
        + statuses(org.search, "degraded_performance"),
    )
    second = await open_incident(client, org)
    # A lesser status from another incident changes nothing the public sees...
    await post_update(
        client,
        org,
        second,
        body="Refunds are slow.",
        componentStatuses=statuses(org.payments, "degraded_performance"),
    )
    # ...until the worse one ends; dropping search from the incident ends what it said of it.
    await post_update(
        client,
        org,
        first,
        body="Payments recovered.",
        componentStatuses=statuses(org.payments, "operational"),
    )
    edited = await client.patch(
        f"/v1/incidents/{first['id']}", json={"componentIds": [org.payments]}, headers=org.headers
    )
    assert edited.status_code == 200, edited.text
    await eventually(arrived(receiver, 8), what="eight webhooks")
    await eventually(jobs_done(settings.redis_url), what="the queue drained")

    payments, search = "Payments API", "Search"
    assert heard(receiver, "/acme") == [
        ("component", payments, "operational", "partial_outage"),
        ("component", payments, "partial_outage", "degraded_performance"),
    ]
    assert heard(receiver, "/all") == [
        ("component", payments, "operational", "partial_outage"),
        ("component", search, "operational", "degraded_performance"),
        ("component", payments, "partial_outage", "degraded_performance"),
        ("component", search, "degraded_performance", "operational"),
    ]
    assert heard(receiver, "/search") == [
        ("component", search, "operational", "degraded_performance"),
        ("component", search, "degraded_performance", "operational"),
    ]


async def test_a_component_message_is_retried_under_its_key_like_any_other(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    await add_webhook(client, org, receiver, "/flaky", incidents=False, componentChanges=True)
    receiver.answer = lambda path, count: 503 if count < 3 else 200
    start_worker()
    incident = await open_incident(client, org)
    await post_update(
        client,
        org,
        incident,
        body="Search is slow.",
        componentStatuses=[{"componentId": org.payments, "status": "degraded_performance"}],
    )
    await eventually(settled(client, org, 1), what="the delivery settled")
    [row] = await deliveries(client, org)
    assert (row["kind"], row["status"], row["attempts"]) == ("component_update", "delivered", 3)
    assert {key for _, key in receiver.attempts} == {row["idempotencyKey"]}
    assert heard(receiver, "/flaky") == [
        ("component", "Payments API", "operational", "degraded_performance")
    ]


async def test_rows_written_a_few_subscribers_at_a_time_still_tell_each_once_and_in_order(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    start_worker: StartWorker,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery_rows, "FAN_OUT_CHUNK", 2)
    paths = [f"/hooks/{n}" for n in range(5)]
    for path in paths:
        await add_webhook(client, org, receiver, path, componentChanges=True)
    start_worker()
    incident = await open_incident(client, org)
    await post_update(
        client,
        org,
        incident,
        body="Card payments fail for some customers.",
        componentStatuses=[{"componentId": org.payments, "status": "full_outage"}],
    )
    await eventually(arrived(receiver, 2 * len(paths)), what="both messages to each")
    await eventually(jobs_done(redis_url), what="every job, so that a second send would show")
    for path in paths:
        assert heard(receiver, path) == [
            ("incident", incident["title"], "investigating"),
            ("component", "Payments API", "operational", "major_outage"),
        ]
    assert len({item.key for item in receiver.received}) == len(receiver.received)
