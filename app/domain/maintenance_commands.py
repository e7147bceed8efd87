"""Commands on a scheduled maintenance. Ids and time are chosen by the shell."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.maintenance_events import MaintenanceStatus
from app.domain.values import Actor, Visibility

# Who the clock's starts and completions are recorded as.
SYSTEM = Actor(id=UUID(int=0), name="Herald")


class ScheduleMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    maintenance_id: UUID
    organization_id: UUID
    title: str
    description: str = ""
    component_ids: tuple[UUID, ...]
    scheduled_for: datetime
    scheduled_until: datetime
    auto_start: bool = True
    auto_complete: bool = True
    reminder_minutes: int | None = 60
    actor: Actor
    at: datetime


class EditMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    """Fields left None keep their value."""

    maintenance_id: UUID
    title: str | None = None
    description: str | None = None
    component_ids: tuple[UUID, ...] | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    auto_start: bool | None = None
    auto_complete: bool | None = None
    actor: Actor
    at: datetime


class RemindOfMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    """Sent by the clock: records the reminder of a window about to open, once per window."""

    maintenance_id: UUID
    actor: Actor
    at: datetime


class StartMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    """`automatic`: sent by the clock, which starts only what is due and set to start itself."""

    maintenance_id: UUID
    automatic: bool = False
    actor: Actor
    at: datetime


class CompleteMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    maintenance_id: UUID
    automatic: bool = False
    actor: Actor
    at: datetime


class CancelMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    maintenance_id: UUID
    actor: Actor
    at: datetime


class PostMaintenanceUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """`published_component_ids`: the components shown on the organization's published pages,
    looked up by the shell for the no_public_surface rule."""

    maintenance_id: UUID
    update_id: UUID
    visibility: Visibility
    body: str | None = None
    status_change: MaintenanceStatus | None = None
    notify_subscribers: bool = True
    published_component_ids: frozenset[UUID] = frozenset()
    actor: Actor
    at: datetime


class RedactMaintenanceUpdate(msgspec.Struct, frozen=True, kw_only=True):
    maintenance_id: UUID
    update_id: UUID
    actor: Actor
    at: datetime


MaintenanceCommand = (
    ScheduleMaintenance
    | EditMaintenance
    | RemindOfMaintenance
    | StartMaintenance
    | CompleteMaintenance
    | CancelMaintenance
    | PostMaintenanceUpdate
    | RedactMaintenanceUpdate
)
