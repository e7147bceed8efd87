"""Request and response shapes of v1 scheduled maintenances, camelCase on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.api.errors import RequestInvalid
from app.api.v1.schemas import ActorOut, Body, Input, Output, Title
from app.domain.maintenance import Maintenance, MaintenanceUpdate
from app.domain.maintenance_events import MaintenanceStatus
from app.domain.values import Visibility
from app.present.times import iso_ms, iso_ms_or_none

# A time with its offset (any offset; kept in UTC): a time without one names no moment.
Moment = Annotated[datetime, msgspec.Meta(tz=True)]
# Up to a week ahead; null sends no reminder.
ReminderMinutes = Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 60)]
MaintenanceComponentIds = Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=500)]


# Far enough either way for any real window, and clear of the calendar's ends, where moving a
# time to UTC would overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def refuse_far_moments(data: ScheduleMaintenanceIn | EditMaintenanceIn) -> None:
    """422 for a window edge outside EARLIEST..LATEST, naming each."""
    fields = [
        (name, f"{name} must be between 2000-01-01 and 9000-01-01 UTC")
        for name, moment in (
            ("scheduledFor", data.scheduled_for),
            ("scheduledUntil", data.scheduled_until),
        )
        if moment is not None and not EARLIEST <= moment <= LATEST
    ]
    if fields:
        raise RequestInvalid("The request body failed validation.", fields)


class ScheduleMaintenanceIn(Input):
    title: Title
    component_ids: MaintenanceComponentIds
    scheduled_for: Moment
    scheduled_until: Moment
    description: Body = ""
    auto_start: bool = True
    auto_complete: bool = True
    reminder_minutes: ReminderMinutes | None = 60


class EditMaintenanceIn(Input):
    title: Title | None = None
    description: Body | None = None
    component_ids: MaintenanceComponentIds | None = None
    scheduled_for: Moment | None = None
    scheduled_until: Moment | None = None
    auto_start: bool | None = None
    auto_complete: bool | None = None


class PostMaintenanceUpdateIn(Input):
    visibility: Visibility
    body: Body | None = None
    status_change: MaintenanceStatus | None = None
    notify_subscribers: bool = True


class MaintenanceOut(Output):
    id: UUID
    organization_id: UUID
    title: str
    description: str
    status: MaintenanceStatus
    component_ids: list[UUID]
    scheduled_for: str
    scheduled_until: str
    auto_start: bool
    auto_complete: bool
    reminder_minutes: int | None
    created_at: str
    updated_at: str
    started_at: str | None
    completed_at: str | None
    cancelled_at: str | None

    @classmethod
    def of(cls, maintenance: Maintenance) -> MaintenanceOut:
        return cls(
            id=maintenance.id,
            organization_id=maintenance.organization_id,
            title=maintenance.title,
            description=maintenance.description,
            status=maintenance.status,
            component_ids=list(maintenance.component_ids),
            scheduled_for=iso_ms(maintenance.scheduled_for),
            scheduled_until=iso_ms(maintenance.scheduled_until),
            auto_start=maintenance.auto_start,
            auto_complete=maintenance.auto_complete,
            reminder_minutes=maintenance.reminder_minutes,
            created_at=iso_ms(maintenance.created_at),
            updated_at=iso_ms(maintenance.updated_at),
            started_at=iso_ms_or_none(maintenance.started_at),
            completed_at=iso_ms_or_none(maintenance.completed_at),
            cancelled_at=iso_ms_or_none(maintenance.cancelled_at),
        )


class MaintenanceUpdateOut(Output):
    id: UUID
    maintenance_id: UUID
    body: str | None
    status_change: MaintenanceStatus | None
    status: MaintenanceStatus
    visibility: Visibility
    notify_subscribers: bool
    posted_by: ActorOut
    posted_at: str
    redacted_at: str | None
    redacted_by: ActorOut | None

    @classmethod
    def of(
        cls, maintenance: Maintenance, update: MaintenanceUpdate, body: str | None
    ) -> MaintenanceUpdateOut:
        return cls(
            id=update.id,
            maintenance_id=maintenance.id,
            body=body,
            status_change=update.status_change,
            status=update.status,
            visibility=update.visibility,
            notify_subscribers=update.notify_subscribers,
            posted_by=ActorOut.of(update.posted_by),
            posted_at=iso_ms(update.posted_at),
            redacted_at=iso_ms_or_none(update.redacted_at),
            redacted_by=ActorOut.of_any(update.redacted_by),
        )
