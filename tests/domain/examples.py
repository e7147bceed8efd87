"""Fixed ids, times and builders shared by the domain tests; each builder takes overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from app.domain.commands import EditIncident, OpenIncident, PostUpdate, RedactUpdate
from app.domain.events import (
    ComponentStatusesChanged,
    IncidentEdited,
    IncidentOpened,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.values import Actor, ComponentState, ComponentStatus, IncidentStatus

INCIDENT = UUID(int=1)
ORG = UUID(int=2)
SCHEDULE = UUID(int=3)
API = UUID(int=10)
DB = UUID(int=11)
CDN = UUID(int=12)
UPDATE_1 = UUID(int=101)
UPDATE_2 = UUID(int=102)
UPDATE_3 = UUID(int=103)
NEW_UPDATE = UUID(int=199)
ALICE = Actor(id=UUID(int=901), name="Alice Chen")
BOB = Actor(id=UUID(int=902), name="Bob Ito")

T0 = datetime(2025, 4, 7, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# The command's time in every `when`: far from any given event's, so a mix-up shows.
NOW = at(600)


def cs(component_id: UUID, status: ComponentState) -> ComponentStatus:
    return ComponentStatus(component_id=component_id, status=status)


def opened(**changes: Any) -> IncidentOpened:
    fields: dict[str, Any] = {
        "incident_id": INCIDENT,
        "organization_id": ORG,
        "title": "Payments elevated error rate",
        "severity": "critical",
        "component_ids": (API, DB),
        "owner_schedule_id": SCHEDULE,
        "opened_by": ALICE,
        "at": T0,
    }
    return IncidentOpened(**(fields | changes))


def posted(update_id: UUID, minute: int, **changes: Any) -> UpdatePosted:
    fields: dict[str, Any] = {
        "update_id": update_id,
        "visibility": "internal",
        "has_body": True,
        "notify_subscribers": True,
        "posted_by": ALICE,
        "at": at(minute),
    }
    return UpdatePosted(**(fields | changes))


def moved(
    update_id: UUID,
    minute: int,
    from_status: IncidentStatus,
    to_status: IncidentStatus,
    **changes: Any,
) -> list[UpdatePosted | StatusChanged]:
    """An update (internal unless overridden) that moves the status, as decide would record it."""
    return [
        posted(update_id, minute, status_change=to_status, **changes),
        StatusChanged(
            update_id=update_id, from_status=from_status, to_status=to_status, at=at(minute)
        ),
    ]


def components_changed(
    update_id: UUID, minute: int, *statuses: ComponentStatus
) -> ComponentStatusesChanged:
    return ComponentStatusesChanged(update_id=update_id, component_statuses=statuses, at=at(minute))


def told(
    update_id: UUID, minute: int, *statuses: ComponentStatus, visibility: str = "public"
) -> list[UpdatePosted | ComponentStatusesChanged]:
    """An update (public unless overridden) that sets component statuses, as decide records it."""
    return [
        posted(update_id, minute, visibility=visibility, component_statuses=statuses),
        components_changed(update_id, minute, *statuses),
    ]


def edited(minute: int, **changes: Any) -> IncidentEdited:
    return IncidentEdited(**({"edited_by": BOB, "at": at(minute)} | changes))


def redacted(update_id: UUID, minute: int) -> UpdateRedacted:
    return UpdateRedacted(update_id=update_id, redacted_by=BOB, at=at(minute))


def resolved_history() -> list:
    """An incident opened, given one update, then resolved."""
    return [
        opened(),
        posted(UPDATE_1, 5),
        *moved(UPDATE_2, 30, "investigating", "resolved"),
        components_changed(UPDATE_2, 30, cs(API, "operational"), cs(DB, "operational")),
    ]


def open_incident(**changes: Any) -> OpenIncident:
    fields: dict[str, Any] = {
        "incident_id": INCIDENT,
        "organization_id": ORG,
        "title": "Payments elevated error rate",
        "severity": "critical",
        "component_ids": (API, DB),
        "owner_schedule_id": SCHEDULE,
        "actor": ALICE,
        "at": NOW,
    }
    return OpenIncident(**(fields | changes))


def edit(**changes: Any) -> EditIncident:
    return EditIncident(**({"incident_id": INCIDENT, "actor": BOB, "at": NOW} | changes))


def post(**changes: Any) -> PostUpdate:
    """A public update that passes every rule against `opened()`; tests override one thing."""
    fields: dict[str, Any] = {
        "incident_id": INCIDENT,
        "update_id": NEW_UPDATE,
        "visibility": "public",
        "body": "We are investigating elevated error rates on the Payments API.",
        "published_component_ids": frozenset({API}),
        "actor": BOB,
        "at": NOW,
    }
    return PostUpdate(**(fields | changes))


def redact(update_id: UUID, **changes: Any) -> RedactUpdate:
    fields: dict[str, Any] = {"incident_id": INCIDENT, "update_id": update_id, "actor": BOB}
    return RedactUpdate(**(fields | {"at": NOW} | changes))


def update_posted(**changes: Any) -> UpdatePosted:
    """The UpdatePosted that `post()` decides, with overrides."""
    fields: dict[str, Any] = {
        "update_id": NEW_UPDATE,
        "visibility": "public",
        "has_body": True,
        "notify_subscribers": True,
        "posted_by": BOB,
        "at": NOW,
    }
    return UpdatePosted(**(fields | changes))


def status_changed(from_status: IncidentStatus, to_status: IncidentStatus) -> StatusChanged:
    """The StatusChanged that `post()` decides."""
    return StatusChanged(update_id=NEW_UPDATE, from_status=from_status, to_status=to_status, at=NOW)
