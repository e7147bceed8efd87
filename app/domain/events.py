"""Events: immutable facts in the log. Never edit a released one; add a new type instead.

No event carries an update's body: bodies live in their own table so a redaction can erase them
while the log stays append-only.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.values import (
    Actor,
    ComponentStatus,
    IncidentStatus,
    Severity,
    Visibility,
)


class IncidentOpened(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    incident_id: UUID
    organization_id: UUID
    title: str
    severity: Severity
    component_ids: tuple[UUID, ...]
    owner_schedule_id: UUID | None = None
    opened_by: Actor
    at: datetime


class IncidentEdited(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Only the fields that changed are set."""

    title: str | None = None
    severity: Severity | None = None
    component_ids: tuple[UUID, ...] | None = None
    edited_by: Actor
    at: datetime


class UpdatePosted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    update_id: UUID
    visibility: Visibility
    has_body: bool
    status_change: IncidentStatus | None = None
    component_statuses: tuple[ComponentStatus, ...] = ()
    notify_subscribers: bool
    posted_by: Actor
    at: datetime


class StatusChanged(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    update_id: UUID
    from_status: IncidentStatus
    to_status: IncidentStatus
    at: datetime


class ComponentStatusesChanged(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The new status of each listed component; components not listed keep theirs."""

    update_id: UUID
    component_statuses: tuple[ComponentStatus, ...]
    at: datetime


class UpdateRedacted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    update_id: UUID
    redacted_by: Actor
    at: datetime


Event = (
    IncidentOpened
    | IncidentEdited
    | UpdatePosted
    | StatusChanged
    | ComponentStatusesChanged
    | UpdateRedacted
)
