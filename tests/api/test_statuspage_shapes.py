"""The Statuspage documents in exactly the shapes Statuspage documents for its public API
(api/v2), so that a strict client (every field present, of its type, nothing unknown) reads
Herald's page as it reads a hosted one; and the details pollers and widgets rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from app.store import public_reads
from tests.api.conftest import Org, open_incident
from tests.api.test_status_page import SECRET, post

ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class Page(Strict):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: datetime


class Status(Strict):
    indicator: Literal["none", "minor", "major", "critical"]
    description: str


class Component(Strict):
    id: str
    name: str
    status: ComponentStatus
    created_at: datetime
    updated_at: datetime
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool
    components: list[str] | None = None  # a group's members; only groups carry it


class AffectedComponent(Strict):
    code: str
    name: str
    old_status: ComponentStatus
    new_status: ComponentStatus


class IncidentUpdate(Strict):
    id: str
    status: Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
    body: str
    incident_id: str
    created_at: datetime
    updated_at: datetime
    display_at: datetime
    affected_components: list[AffectedComponent] | None
    deliver_notifications: bool
    custom_tweet: str | None
    tweet_id: str | None


class Incident(Strict):
    id: str
    name: str
    status: Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    impact: Literal["none", "minor", "major", "critical"]
    shortlink: str
    started_at: datetime
    page_id: str
    incident_updates: list[IncidentUpdate]
    components: list[Component]
    postmortem_body: str | None
    postmortem_published_at: datetime | None


class Summary(Strict):
    page: Page
    components: list[Component]
    incidents: list[Incident]
    scheduled_maintenances: list[dict]
    status: Status


class StatusDocument(Strict):
    page: Page
    status: Status


class Components(Strict):
    page: Page
    components: list[Component]


class Incidents(Strict):
    page: Page
    incidents: list[Incident]


DOCUMENTS: list[tuple[str, type]] = [
    ("summary.json", Summary),
    ("status.json", StatusDocument),
    ("components.json", Components),
    ("incidents.json", Incidents),
    ("incidents/unresolved.json", Incidents),
]


def _statuses(org: Org, status: str) -> list[dict]:
    return [{"componentId": org.payments, "status": status}]


async def test_every_document_has_statuspages_documented_shape(
    client: AsyncTestClient, org: Org
) -> None:
    resolved = await open_incident(client, org)
    await post(client, org, resolved, {"visibility": "public", "body": "Looking."})
    await post(
        client, org, resolved, {"visibility": "public", "body": "Done.", "statusChange": "resolved"}
    )
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {
            "visibility": "public",
            "body": "Down.",
            "componentStatuses": _statuses(org, "full_outage"),
        },
    )
    await post(client, org, incident, {"visibility": "internal", "body": SECRET})
    await post(client, org, incident, {"visibility": "internal", "statusChange": "monitoring"})
    for name, shape in DOCUMENTS:
        response = await client.get(f"/status/acme/api/v2/{name}")
        assert response.status_code == 200, name
        msgspec.json.decode(response.content, type=shape, strict=True)
    incidents = msgspec.json.decode(
        (await client.get("/status/acme/api/v2/incidents.json")).content, type=Incidents
    )
    assert [i.status for i in incidents.incidents] == ["monitoring", "resolved"]
    for shown in incidents.incidents:
        assert shown.postmortem_body is None and shown.postmortem_published_at is None
        assert all(u.custom_tweet is None and u.tweet_id is None for u in shown.incident_updates)


async def test_affected_components_say_what_each_update_changed(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    await post(
        client,
        org,
        incident,
        {
            "visibility": "public",
            "body": "Slow.",
            "componentStatuses": _statuses(org, "degraded_performance"),
        },
    )
    # Set internally: the public never saw it, so the next public update starts from "slow".
    await post(
        client,
        org,
        incident,
        {
            "visibility": "internal",
            "body": SECRET,
            "componentStatuses": _statuses(org, "partial_outage"),
        },
    )
    await post(
        client,
        org,
        incident,
        {
            "visibility": "public",
            "body": "Down.",
            "componentStatuses": _statuses(org, "full_outage"),
        },
    )
    await post(client, org, incident, {"visibility": "public", "body": "Still down."})
    await post(
        client, org, incident, {"visibility": "public", "body": "Back.", "statusChange": "resolved"}
    )
    [shown] = (await client.get("/status/acme/api/v2/incidents.json")).json()["incidents"]
    changes = [
        [(c["code"], c["name"], c["old_status"], c["new_status"]) for c in u["affected_components"]]
        if u["affected_components"]
        else None
        for u in reversed(shown["incident_updates"])
    ]
    payments = (org.payments, "Payments API")
    assert changes == [
        [(*payments, "operational", "degraded_performance")],
        [(*payments, "degraded_performance", "major_outage")],
        None,
        [(*payments, "major_outage", "operational")],  # resolving brings it back
    ]


async def _updated_at(client: AsyncTestClient) -> set[str]:
    """page.updated_at as every document gives it: always one value."""
    return {
        (await client.get(f"/status/acme/api/v2/{name}")).json()["page"]["updated_at"]
        for name, _ in DOCUMENTS
    }


@pytest.mark.parametrize("change", ["public update", "page edit", "redaction"])
async def test_page_updated_at_moves_with_every_change_the_page_shows(
    client: AsyncTestClient, org: Org, change: str
) -> None:
    incident = await open_incident(client, org)
    first = await post(client, org, incident, {"visibility": "public", "body": "Looking."})
    [before] = await _updated_at(client)
    assert before == first["postedAt"]
    # What the public does not see does not move it: not even when it happened.
    await post(client, org, incident, {"visibility": "internal", "body": SECRET})
    assert await _updated_at(client) == {before}

    if change == "public update":
        moved = (await post(client, org, incident, {"visibility": "public", "body": "Found it."}))[
            "postedAt"
        ]
    elif change == "page edit":
        pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
        edited = await client.patch(
            f"/v1/status-pages/{pages[0]['id']}", json={"name": "Acme Inc"}, headers=org.headers
        )
        moved = edited.json()["data"]["updatedAt"]
    else:
        await client.post(
            f"/v1/incidents/{incident['id']}/updates/{first['id']}/redact", headers=org.headers
        )
        moved = None
    [after] = await _updated_at(client)
    assert after > before
    if moved is not None:
        assert after == moved


async def test_page_updated_at_looks_past_incidents_that_changed_only_internally(
    client: AsyncTestClient, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One incident read at a time: the most recently updated one changed only internally.
    monkeypatch.setattr(public_reads, "_BATCH", 1)
    quiet = await open_incident(client, org)
    await post(client, org, quiet, {"visibility": "public", "body": "Looking."})
    busy = await open_incident(client, org)
    latest = await post(client, org, busy, {"visibility": "public", "body": "Found it."})
    for _ in range(2):
        await post(client, org, quiet, {"visibility": "internal", "body": SECRET})
    assert await _updated_at(client) == {latest["postedAt"]}
