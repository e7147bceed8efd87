"""`decide(command, state) -> events` for a scheduled maintenance: each rule once, in order.

Windows are kept in UTC. Starting and completing are idempotent: a start racing another start
(the clock's and a member's) decides on the stream as the first left it and changes nothing,
so it is neither lost nor doubled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar, assert_never

from app.domain.errors import DomainError
from app.domain.maintenance import Maintenance, MaintenanceState
from app.domain.maintenance_commands import (
    CancelMaintenance,
    CompleteMaintenance,
    EditMaintenance,
    MaintenanceCommand,
    PostMaintenanceUpdate,
    RedactMaintenanceUpdate,
    RemindOfMaintenance,
    ScheduleMaintenance,
    StartMaintenance,
)
from app.domain.maintenance_events import (
    MAINTENANCE_ORDER,
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceEdited,
    MaintenanceEvent,
    MaintenanceReminded,
    MaintenanceRescheduled,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceUpdatePosted,
    MaintenanceUpdateRedacted,
    MaintenanceVerifying,
)
from app.domain.update_rules import (
    check_forward,
    check_public_surface,
    check_redactable,
    check_text,
    has_text,
)
from app.domain.values import UpdateStanding

T = TypeVar("T")

# A window that starts "now" arrives a moment after the client read its clock.
PAST_GRACE = timedelta(minutes=1)


def decide(command: MaintenanceCommand, state: MaintenanceState) -> list[MaintenanceEvent]:
    match command:
        case ScheduleMaintenance():
            return schedule(command, state)
        case EditMaintenance():
            return edit(command, _existing(state))
        case RemindOfMaintenance():
            return remind(command, _existing(state))
        case StartMaintenance():
            return start(command, _existing(state))
        case CompleteMaintenance():
            return complete(command, _existing(state))
        case CancelMaintenance():
            return cancel(command, _existing(state))
        case PostMaintenanceUpdate():
            return post_update(command, _existing(state))
        case RedactMaintenanceUpdate():
            return redact_update(command, _existing(state))
        case _:
            assert_never(command)


def _existing(state: MaintenanceState) -> Maintenance:
    if state is None:
        raise DomainError(
            "not_found", "No maintenance with the given ID exists in your organization."
        )
    return state


def _refuse_finished(state: Maintenance) -> None:
    if state.finished:
        raise DomainError(
            "maintenance_finished",
            f"The maintenance is {state.status}; it can no longer be changed.",
        )


def _check_window(starts: datetime, ends: datetime) -> None:
    if ends <= starts:
        raise DomainError(
            "maintenance_window_invalid",
            "The maintenance window must end after it starts.",
            ("scheduled_until",),
        )


def _refuse_past(moment: datetime, now: datetime, field: str) -> None:
    if moment < now - PAST_GRACE:
        raise DomainError(
            "maintenance_window_in_past",
            "The maintenance window cannot be placed in the past.",
            (field,),
        )


def _utc(moment: datetime) -> datetime:
    """In UTC, to the millisecond: the window is exactly the one every surface shows."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def schedule(command: ScheduleMaintenance, state: MaintenanceState) -> list[MaintenanceEvent]:
    if state is not None:
        raise DomainError("maintenance_exists", "A maintenance with this ID already exists.")
    starts, ends = _utc(command.scheduled_for), _utc(command.scheduled_until)
    _check_window(starts, ends)
    _refuse_past(starts, command.at, "scheduled_for")
    return [
        MaintenanceScheduled(
            maintenance_id=command.maintenance_id,
            organization_id=command.organization_id,
            title=command.title,
            description=command.description,
            component_ids=tuple(dict.fromkeys(command.component_ids)),
            scheduled_for=starts,
            scheduled_until=ends,
            auto_start=command.auto_start,
            auto_complete=command.auto_complete,
            reminder_minutes=command.reminder_minutes,
            scheduled_by=command.actor,
            at=command.at,
        )
    ]


def _changed(new: T | None, old: T) -> T | None:
    return new if new is not None and new != old else None


def edit(command: EditMaintenance, state: Maintenance) -> list[MaintenanceEvent]:
    _refuse_finished(state)
    starts = _utc(command.scheduled_for or state.scheduled_for)
    ends = _utc(command.scheduled_until or state.scheduled_until)
    events: list[MaintenanceEvent] = []
    component_ids = (
        None if command.component_ids is None else tuple(dict.fromkeys(command.component_ids))
    )
    edited = MaintenanceEdited(
        title=_changed(command.title, state.title),
        description=_changed(command.description, state.description),
        component_ids=_changed(component_ids, state.component_ids),
        auto_start=_changed(command.auto_start, state.auto_start),
        auto_complete=_changed(command.auto_complete, state.auto_complete),
        edited_by=command.actor,
        at=command.at,
    )
    if edited != MaintenanceEdited(edited_by=command.actor, at=command.at):
        events.append(edited)
    if (starts, ends) != (state.scheduled_for, state.scheduled_until):
        if state.started and starts != state.scheduled_for:
            raise DomainError(
                "maintenance_started",
                "The maintenance has started; only the end of its window can move.",
                ("scheduled_for",),
            )
        _check_window(starts, ends)
        if starts != state.scheduled_for:
            _refuse_past(starts, command.at, "scheduled_for")
        if ends != state.scheduled_until:
            _refuse_past(ends, command.at, "scheduled_until")
        events.append(
            MaintenanceRescheduled(
                scheduled_for=starts,
                scheduled_until=ends,
                rescheduled_by=command.actor,
                at=command.at,
            )
        )
    return events


def remind(command: RemindOfMaintenance, state: Maintenance) -> list[MaintenanceEvent]:
    remind_at = state.remind_at
    if remind_at is None or not remind_at <= command.at < state.scheduled_for:
        return []  # none owed, already sent, not yet due, or too late to be of use
    return [MaintenanceReminded(scheduled_for=state.scheduled_for, at=command.at)]


def start(command: StartMaintenance, state: Maintenance) -> list[MaintenanceEvent]:
    if state.status == "cancelled":
        _refuse_finished(state)
    if state.status != "scheduled":
        return []  # started already, by the clock or by a member
    if command.automatic and (not state.auto_start or command.at < state.scheduled_for):
        return []  # no longer due: rescheduled, or set to be started by hand, meanwhile
    return [
        MaintenanceStarted(started_by=command.actor, automatic=command.automatic, at=command.at)
    ]


def complete(command: CompleteMaintenance, state: Maintenance) -> list[MaintenanceEvent]:
    if state.status == "cancelled":
        _refuse_finished(state)
    if state.status == "completed":
        return []
    if command.automatic:
        if not state.started or not state.auto_complete or command.at < state.scheduled_until:
            return []
    elif not state.started:
        raise DomainError(
            "invalid_status_transition",
            "The maintenance has not started; start it first, or cancel it.",
        )
    return [
        MaintenanceCompleted(completed_by=command.actor, automatic=command.automatic, at=command.at)
    ]


def cancel(command: CancelMaintenance, state: Maintenance) -> list[MaintenanceEvent]:
    if state.status == "cancelled":
        return []
    _refuse_finished(state)
    if state.started:
        raise DomainError(
            "maintenance_started",
            "The maintenance has started; complete it instead of cancelling it.",
        )
    return [MaintenanceCancelled(cancelled_by=command.actor, at=command.at)]


def post_update(command: PostMaintenanceUpdate, state: Maintenance) -> list[MaintenanceEvent]:
    _refuse_finished(state)
    change = command.status_change
    check_text(command.visibility, command.body, change)
    check_forward("maintenance", MAINTENANCE_ORDER, state.status, change)
    check_public_surface(
        command.visibility,
        command.published_component_ids,
        state.component_ids,
        "The maintenance has no published status page that covers its components.",
    )
    update_id = command.update_id
    events: list[MaintenanceEvent] = [
        MaintenanceUpdatePosted(
            update_id=update_id,
            visibility=command.visibility,
            has_body=has_text(command.body),
            status_change=change,
            notify_subscribers=command.notify_subscribers,
            posted_by=command.actor,
            at=command.at,
        )
    ]
    # Moving past a step passes through it: verifying or completed start it first.
    if change is not None and state.status == "scheduled":
        events.append(
            MaintenanceStarted(
                started_by=command.actor, automatic=False, update_id=update_id, at=command.at
            )
        )
    if change == "verifying":
        events.append(MaintenanceVerifying(update_id=update_id, at=command.at))
    if change == "completed":
        events.append(
            MaintenanceCompleted(
                completed_by=command.actor, automatic=False, update_id=update_id, at=command.at
            )
        )
    return events


def redact_update(command: RedactMaintenanceUpdate, state: Maintenance) -> list[MaintenanceEvent]:
    update = state.update(command.update_id)
    standing: UpdateStanding = (
        "absent" if update is None else "posted" if update.redacted_at is None else "redacted"
    )
    check_redactable("maintenance", standing)
    return [
        MaintenanceUpdateRedacted(
            update_id=command.update_id, redacted_by=command.actor, at=command.at
        )
    ]
