"""The stored JSON of every event type, held against a committed document.

Existing logs hold events in this shape, so a renamed field, a renamed tag or a changed value
format fails here: such a change needs a new event type or a version field, not an edit.
"""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from app.domain.events import (
    ComponentStatusesChanged,
    IncidentEdited,
    IncidentOpened,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.maintenance_events import (
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceEdited,
    MaintenanceReminded,
    MaintenanceRescheduled,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceUpdatePosted,
    MaintenanceUpdateRedacted,
    MaintenanceVerifying,
)
from app.domain.values import Actor, ComponentStatus
from app.store.codec import StoredEvent, decode_event, encode_event, event_type

GOLDEN = Path(__file__).parent / "golden" / "events.json"

ALICE = Actor(id=UUID("0b0c1d2e-0000-4000-8000-000000000901"), name="Alice Chen")
INCIDENT = UUID("0b0c1d2e-0000-4000-8000-000000000001")
UPDATE = UUID("0b0c1d2e-0000-4000-8000-000000000101")
API = UUID("0b0c1d2e-0000-4000-8000-000000000010")
DB = UUID("0b0c1d2e-0000-4000-8000-000000000011")
AT = datetime(2025, 4, 7, 9, 30, 15, 250000, tzinfo=UTC)
MAINTENANCE = UUID("0b0c1d2e-0000-4000-8000-000000000004")
STARTS = datetime(2025, 4, 8, 22, 0, tzinfo=UTC)
ENDS = datetime(2025, 4, 9, 1, 30, tzinfo=UTC)

# Every field set to a value other than its default, so every field name is in the document.
EXAMPLES: dict[str, StoredEvent] = {
    "IncidentOpened": IncidentOpened(
        incident_id=INCIDENT,
        organization_id=UUID("0b0c1d2e-0000-4000-8000-000000000002"),
        title="Payments elevated error rate",
        severity="critical",
        component_ids=(API, DB),
        owner_schedule_id=UUID("0b0c1d2e-0000-4000-8000-000000000003"),
        opened_by=ALICE,
        at=AT,
    ),
    "IncidentEdited": IncidentEdited(
        title="Payments degraded in eu-west",
        severity="major",
        component_ids=(API,),
        edited_by=ALICE,
        at=AT,
    ),
    "UpdatePosted": UpdatePosted(
        update_id=UPDATE,
        visibility="public",
        has_body=True,
        status_change="identified",
        component_statuses=(ComponentStatus(component_id=API, status="partial_outage"),),
        notify_subscribers=True,
        posted_by=ALICE,
        at=AT,
    ),
    "StatusChanged": StatusChanged(
        update_id=UPDATE, from_status="investigating", to_status="identified", at=AT
    ),
    "ComponentStatusesChanged": ComponentStatusesChanged(
        update_id=UPDATE,
        component_statuses=(
            ComponentStatus(component_id=API, status="degraded_performance"),
            ComponentStatus(component_id=DB, status="full_outage"),
        ),
        at=AT,
    ),
    "UpdateRedacted": UpdateRedacted(update_id=UPDATE, redacted_by=ALICE, at=AT),
    "MaintenanceScheduled": MaintenanceScheduled(
        maintenance_id=MAINTENANCE,
        organization_id=UUID("0b0c1d2e-0000-4000-8000-000000000002"),
        title="Database upgrade",
        description="We upgrade the primary database to PostgreSQL 18.",
        component_ids=(API, DB),
        scheduled_for=STARTS,
        scheduled_until=ENDS,
        auto_start=False,
        auto_complete=False,
        reminder_minutes=30,
        scheduled_by=ALICE,
        at=AT,
    ),
    "MaintenanceEdited": MaintenanceEdited(
        title="Database and cache upgrade",
        description="We upgrade the primary database and the cache.",
        component_ids=(DB,),
        auto_start=True,
        auto_complete=True,
        edited_by=ALICE,
        at=AT,
    ),
    "MaintenanceRescheduled": MaintenanceRescheduled(
        scheduled_for=STARTS, scheduled_until=ENDS, rescheduled_by=ALICE, at=AT
    ),
    "MaintenanceReminded": MaintenanceReminded(scheduled_for=STARTS, at=AT),
    "MaintenanceStarted": MaintenanceStarted(
        started_by=ALICE, automatic=True, update_id=UPDATE, at=AT
    ),
    "MaintenanceVerifying": MaintenanceVerifying(update_id=UPDATE, at=AT),
    "MaintenanceCompleted": MaintenanceCompleted(
        completed_by=ALICE, automatic=True, update_id=UPDATE, at=AT
    ),
    "MaintenanceCancelled": MaintenanceCancelled(cancelled_by=ALICE, at=AT),
    "MaintenanceUpdatePosted": MaintenanceUpdatePosted(
        update_id=UPDATE,
        visibility="public",
        has_body=True,
        status_change="verifying",
        notify_subscribers=False,
        posted_by=ALICE,
        at=AT,
    ),
    "MaintenanceUpdateRedacted": MaintenanceUpdateRedacted(
        update_id=UPDATE, redacted_by=ALICE, at=AT
    ),
}


def golden() -> dict[str, dict]:
    return json.loads(GOLDEN.read_text())


def test_the_document_and_the_examples_cover_every_event_type() -> None:
    types = {cls.__name__ for cls in typing.get_args(StoredEvent)}
    assert set(EXAMPLES) == types
    assert set(golden()) == types


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_an_event_is_stored_exactly_as_the_document_shows(name: str) -> None:
    event = EXAMPLES[name]
    assert event_type(event) == name  # the log's event_type column
    assert json.loads(encode_event(event)) == golden()[name]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_stored_event_is_read_back_as_the_same_event(name: str) -> None:
    assert decode_event(json.dumps(golden()[name])) == EXAMPLES[name]
