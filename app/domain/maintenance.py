"""Scheduled maintenance state, `evolve` (one event applied) and `fold` (a stream applied).

A maintenance's history is short, so its state holds every update (never a body): the
projected row and the snapshot a command starts from are this state, whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import reduce
from typing import assert_never
from uuid import UUID

import msgspec

from app.domain.maintenance_events import (
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceEdited,
    MaintenanceEvent,
    MaintenanceReminded,
    MaintenanceRescheduled,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceStatus,
    MaintenanceUpdatePosted,
    MaintenanceUpdateRedacted,
    MaintenanceVerifying,
)
from app.domain.values import Actor, Visibility


class MaintenanceUpdate(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    visibility: Visibility
    has_body: bool
    status_change: MaintenanceStatus | None = None
    status: MaintenanceStatus  # the maintenance's status once this update was posted
    notify_subscribers: bool
    posted_by: Actor
    posted_at: datetime
    redacted_at: datetime | None = None
    redacted_by: Actor | None = None


class MaintenanceTransition(msgspec.Struct, frozen=True, kw_only=True):
    """A status the maintenance moved to; `update_id` names the update that moved it, if one
    did (else the clock or a member's start, complete or cancel did)."""

    status: MaintenanceStatus
    at: datetime
    update_id: UUID | None = None
    automatic: bool = False


class Maintenance(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    title: str
    description: str
    component_ids: tuple[UUID, ...]
    scheduled_for: datetime
    scheduled_until: datetime
    auto_start: bool
    auto_complete: bool
    reminder_minutes: int | None = None
    # The window start subscribers were last reminded of; a reschedule makes it stale.
    reminded_for: datetime | None = None
    status: MaintenanceStatus
    scheduled_by: Actor
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    updates: tuple[MaintenanceUpdate, ...] = ()
    transitions: tuple[MaintenanceTransition, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "cancelled")

    @property
    def remind_at(self) -> datetime | None:
        """When subscribers are owed a reminder; None when none is (any more)."""
        if (
            self.status != "scheduled"
            or self.reminder_minutes is None
            or self.reminded_for == self.scheduled_for
        ):
            return None
        return self.scheduled_for - timedelta(minutes=self.reminder_minutes)

    @property
    def started(self) -> bool:
        return self.status in ("in_progress", "verifying", "completed")

    def update(self, update_id: UUID) -> MaintenanceUpdate | None:
        return next((u for u in self.updates if u.id == update_id), None)


MaintenanceState = Maintenance | None


def initial_state() -> MaintenanceState:
    return None


def evolve(state: MaintenanceState, event: MaintenanceEvent) -> MaintenanceState:
    if isinstance(event, MaintenanceScheduled):
        return Maintenance(
            id=event.maintenance_id,
            organization_id=event.organization_id,
            title=event.title,
            description=event.description,
            component_ids=event.component_ids,
            scheduled_for=event.scheduled_for,
            scheduled_until=event.scheduled_until,
            auto_start=event.auto_start,
            auto_complete=event.auto_complete,
            reminder_minutes=event.reminder_minutes,
            status="scheduled",
            scheduled_by=event.scheduled_by,
            created_at=event.at,
            updated_at=event.at,
        )
    assert state is not None, "only MaintenanceScheduled may start a stream"
    replace = msgspec.structs.replace
    match event:
        case MaintenanceEdited():
            return replace(
                state,
                title=state.title if event.title is None else event.title,
                description=state.description if event.description is None else event.description,
                component_ids=state.component_ids
                if event.component_ids is None
                else event.component_ids,
                auto_start=state.auto_start if event.auto_start is None else event.auto_start,
                auto_complete=state.auto_complete
                if event.auto_complete is None
                else event.auto_complete,
                updated_at=event.at,
            )
        case MaintenanceRescheduled():
            return replace(
                state,
                scheduled_for=event.scheduled_for,
                scheduled_until=event.scheduled_until,
                updated_at=event.at,
            )
        case MaintenanceReminded():
            return replace(state, reminded_for=event.scheduled_for, updated_at=event.at)
        case MaintenanceStarted():
            moved = _moved(state, "in_progress", event.at, event.update_id, event.automatic)
            return replace(moved, started_at=event.at)
        case MaintenanceVerifying():
            return _moved(state, "verifying", event.at, event.update_id, False)
        case MaintenanceCompleted():
            moved = _moved(state, "completed", event.at, event.update_id, event.automatic)
            return replace(moved, completed_at=event.at)
        case MaintenanceCancelled():
            return replace(_moved(state, "cancelled", event.at, None, False), cancelled_at=event.at)
        case MaintenanceUpdatePosted():
            update = MaintenanceUpdate(
                id=event.update_id,
                visibility=event.visibility,
                has_body=event.has_body,
                status_change=event.status_change,
                # The status event the update carries follows it in the same command.
                status=event.status_change or state.status,
                notify_subscribers=event.notify_subscribers,
                posted_by=event.posted_by,
                posted_at=event.at,
            )
            return replace(state, updates=(*state.updates, update), updated_at=event.at)
        case MaintenanceUpdateRedacted():
            updates = tuple(
                replace(u, redacted_at=event.at, redacted_by=event.redacted_by)
                if u.id == event.update_id
                else u
                for u in state.updates
            )
            return replace(state, updates=updates, updated_at=event.at)
        case _:
            assert_never(event)


def _moved(
    state: Maintenance,
    status: MaintenanceStatus,
    at: datetime,
    update_id: UUID | None,
    automatic: bool,
) -> Maintenance:
    transition = MaintenanceTransition(
        status=status, at=at, update_id=update_id, automatic=automatic
    )
    return msgspec.structs.replace(
        state, status=status, transitions=(*state.transitions, transition), updated_at=at
    )


def fold(events: Iterable[MaintenanceEvent]) -> MaintenanceState:
    """The state a stream's events leave behind, applied in order from `initial_state()`."""
    return reduce(evolve, events, initial_state())
