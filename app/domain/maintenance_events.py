"""Events of a scheduled maintenance's stream. Never edit a released one; add a new type instead.

Like an incident's, no event carries an update's body (they live in update_bodies, so a
redaction can erase them). The description is the announcement itself, not an update, and
travels on the events that set it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from app.domain.values import Actor, Visibility

MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed", "cancelled"]
# The lifecycle runs forward only; cancelled is reached from scheduled alone.
MAINTENANCE_ORDER: tuple[MaintenanceStatus, ...] = (
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
)


class MaintenanceScheduled(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    maintenance_id: UUID
    organization_id: UUID
    title: str
    description: str
    component_ids: tuple[UUID, ...]
    scheduled_for: datetime
    scheduled_until: datetime
    auto_start: bool
    auto_complete: bool
    # Subscribers are reminded this long before the window opens; None: no reminder.
    reminder_minutes: int | None = 60
    scheduled_by: Actor
    at: datetime


class MaintenanceEdited(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Only the fields that changed are set; the window changes by MaintenanceRescheduled."""

    title: str | None = None
    description: str | None = None
    component_ids: tuple[UUID, ...] | None = None
    auto_start: bool | None = None
    auto_complete: bool | None = None
    edited_by: Actor
    at: datetime


class MaintenanceRescheduled(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The whole new window, both ends, whichever of them moved."""

    scheduled_for: datetime
    scheduled_until: datetime
    rescheduled_by: Actor
    at: datetime


class MaintenanceReminded(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Subscribers were owed a reminder of the window starting at `scheduled_for`; the clock
    records it once per window, so a rescheduled maintenance is reminded of anew."""

    scheduled_for: datetime
    at: datetime


class MaintenanceStarted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """`automatic`: the window's start did it, the system being the actor; `update_id` names
    the update whose status change did it, if one did."""

    started_by: Actor
    automatic: bool
    update_id: UUID | None = None
    at: datetime


class MaintenanceVerifying(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The work is done and is being checked; always through an update."""

    update_id: UUID
    at: datetime


class MaintenanceCompleted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    completed_by: Actor
    automatic: bool
    update_id: UUID | None = None
    at: datetime


class MaintenanceCancelled(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    cancelled_by: Actor
    at: datetime


class MaintenanceUpdatePosted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    update_id: UUID
    visibility: Visibility
    has_body: bool
    status_change: MaintenanceStatus | None = None
    notify_subscribers: bool
    posted_by: Actor
    at: datetime


class MaintenanceUpdateRedacted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    update_id: UUID
    redacted_by: Actor
    at: datetime


MaintenanceEvent = (
    MaintenanceScheduled
    | MaintenanceEdited
    | MaintenanceRescheduled
    | MaintenanceReminded
    | MaintenanceStarted
    | MaintenanceVerifying
    | MaintenanceCompleted
    | MaintenanceCancelled
    | MaintenanceUpdatePosted
    | MaintenanceUpdateRedacted
)
