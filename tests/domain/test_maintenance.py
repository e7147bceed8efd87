"""A scheduled maintenance: its window, its statuses, and what the clock and members may do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from app.domain.maintenance import fold
from app.domain.maintenance_commands import (
    SYSTEM,
    CancelMaintenance,
    CompleteMaintenance,
    EditMaintenance,
    PostMaintenanceUpdate,
    RedactMaintenanceUpdate,
    RemindOfMaintenance,
    ScheduleMaintenance,
    StartMaintenance,
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

from .examples import ALICE, API, BOB, DB, NOW, ORG, UPDATE_1, UPDATE_2, at
from .spec import given_maintenance

MAINTENANCE = UUID(int=4)
STARTS = NOW + timedelta(hours=2)
ENDS = STARTS + timedelta(hours=1)


def schedule(**changes: Any) -> ScheduleMaintenance:
    fields: dict[str, Any] = {
        "maintenance_id": MAINTENANCE,
        "organization_id": ORG,
        "title": "Database upgrade",
        "description": "The primary database moves to new hardware.",
        "component_ids": (API, DB),
        "scheduled_for": STARTS,
        "scheduled_until": ENDS,
        "actor": ALICE,
        "at": NOW,
    }
    return ScheduleMaintenance(**(fields | changes))


def scheduled(**changes: Any) -> MaintenanceScheduled:
    fields: dict[str, Any] = {
        "maintenance_id": MAINTENANCE,
        "organization_id": ORG,
        "title": "Database upgrade",
        "description": "The primary database moves to new hardware.",
        "component_ids": (API, DB),
        "scheduled_for": STARTS,
        "scheduled_until": ENDS,
        "auto_start": True,
        "auto_complete": True,
        "scheduled_by": ALICE,
        "at": at(0),
    }
    return MaintenanceScheduled(**(fields | changes))


def started(moment: datetime = STARTS) -> MaintenanceStarted:
    return MaintenanceStarted(started_by=SYSTEM, automatic=True, at=moment)


def update(**changes: Any) -> PostMaintenanceUpdate:
    fields: dict[str, Any] = {
        "maintenance_id": MAINTENANCE,
        "update_id": UPDATE_1,
        "visibility": "public",
        "body": "Work is under way.",
        "published_component_ids": frozenset({API}),
        "actor": BOB,
        "at": NOW,
    }
    return PostMaintenanceUpdate(**(fields | changes))


def posted(**changes: Any) -> MaintenanceUpdatePosted:
    fields: dict[str, Any] = {
        "update_id": UPDATE_1,
        "visibility": "public",
        "has_body": True,
        "notify_subscribers": True,
        "posted_by": BOB,
        "at": NOW,
    }
    return MaintenanceUpdatePosted(**(fields | changes))


# Scheduling


def test_scheduling_records_the_window_in_utc():
    paris = timezone(timedelta(hours=2))
    given_maintenance().when(
        schedule(
            scheduled_for=STARTS.astimezone(paris),
            scheduled_until=ENDS.astimezone(paris),
            auto_complete=False,
            component_ids=(API, DB, API),
        )
    ).then(scheduled(at=NOW, auto_complete=False))
    event = given_maintenance().when(schedule(scheduled_for=STARTS.astimezone(paris))).decided()[0]
    assert event.scheduled_for.utcoffset() == timedelta(0)


def test_a_window_is_kept_to_the_millisecond_every_surface_shows():
    precise = STARTS + timedelta(microseconds=123_456)
    event = given_maintenance().when(schedule(scheduled_for=precise)).decided()[0]
    assert event.scheduled_for == STARTS + timedelta(milliseconds=123)


def test_a_window_must_end_after_it_starts():
    given_maintenance().when(schedule(scheduled_until=STARTS)).then_error(
        "maintenance_window_invalid", field=("scheduled_until",)
    )


def test_a_window_cannot_start_in_the_past_but_now_is_fine():
    given_maintenance().when(schedule(scheduled_for=NOW - timedelta(minutes=5))).then_error(
        "maintenance_window_in_past", field=("scheduled_for",)
    )
    given_maintenance().when(schedule(scheduled_for=NOW - timedelta(seconds=20))).then(
        scheduled(at=NOW, scheduled_for=NOW - timedelta(seconds=20))
    )


def test_the_same_id_cannot_be_scheduled_twice():
    given_maintenance(scheduled()).when(schedule()).then_error("maintenance_exists")


# Editing and rescheduling


def test_moving_the_window_is_a_rescheduling():
    later = STARTS + timedelta(days=1)
    given_maintenance(scheduled()).when(
        EditMaintenance(
            maintenance_id=MAINTENANCE,
            scheduled_for=later,
            scheduled_until=later + timedelta(hours=1),
            actor=BOB,
            at=NOW,
        )
    ).then(
        MaintenanceRescheduled(
            scheduled_for=later,
            scheduled_until=later + timedelta(hours=1),
            rescheduled_by=BOB,
            at=NOW,
        )
    )


def test_an_edit_records_only_what_changed_and_nothing_when_nothing_did():
    given_maintenance(scheduled()).when(
        EditMaintenance(
            maintenance_id=MAINTENANCE,
            title="Database upgrade",
            description="Now with a new cache too.",
            auto_start=False,
            scheduled_for=STARTS,
            actor=BOB,
            at=NOW,
        )
    ).then(
        MaintenanceEdited(
            description="Now with a new cache too.", auto_start=False, edited_by=BOB, at=NOW
        )
    )
    given_maintenance(scheduled()).when(
        EditMaintenance(maintenance_id=MAINTENANCE, title="Database upgrade", actor=BOB, at=NOW)
    ).then()


def test_a_rescheduled_window_is_checked_like_a_new_one():
    edit = EditMaintenance(
        maintenance_id=MAINTENANCE, scheduled_until=STARTS - timedelta(minutes=1), actor=BOB, at=NOW
    )
    given_maintenance(scheduled()).when(edit).then_error("maintenance_window_invalid")
    past = EditMaintenance(
        maintenance_id=MAINTENANCE, scheduled_for=NOW - timedelta(hours=1), actor=BOB, at=NOW
    )
    given_maintenance(scheduled()).when(past).then_error(
        "maintenance_window_in_past", field=("scheduled_for",)
    )


def test_in_progress_the_end_may_be_extended_but_the_start_cannot_move():
    moment = ENDS - timedelta(minutes=10)
    extend = EditMaintenance(
        maintenance_id=MAINTENANCE, scheduled_until=ENDS + timedelta(hours=1), actor=BOB, at=moment
    )
    given_maintenance(scheduled(), started()).when(extend).then(
        MaintenanceRescheduled(
            scheduled_for=STARTS,
            scheduled_until=ENDS + timedelta(hours=1),
            rescheduled_by=BOB,
            at=moment,
        )
    )
    move = EditMaintenance(maintenance_id=MAINTENANCE, scheduled_for=ENDS, actor=BOB, at=moment)
    given_maintenance(scheduled(), started()).when(move).then_error(
        "maintenance_started", field=("scheduled_for",)
    )
    shorten_into_past = EditMaintenance(
        maintenance_id=MAINTENANCE,
        scheduled_until=STARTS + timedelta(minutes=5),
        actor=BOB,
        at=moment,
    )
    given_maintenance(scheduled(), started()).when(shorten_into_past).then_error(
        "maintenance_window_in_past", field=("scheduled_until",)
    )


def test_a_finished_maintenance_takes_no_edits():
    completed = MaintenanceCompleted(completed_by=SYSTEM, automatic=True, at=ENDS)
    edit = EditMaintenance(maintenance_id=MAINTENANCE, title="Later", actor=BOB, at=ENDS)
    given_maintenance(scheduled(), started(), completed).when(edit).then_error(
        "maintenance_finished"
    )


# Time moves it


def test_the_clock_starts_it_once_due_and_not_before():
    clock = StartMaintenance(maintenance_id=MAINTENANCE, automatic=True, actor=SYSTEM, at=STARTS)
    given_maintenance(scheduled()).when(clock).then(started())
    early = StartMaintenance(
        maintenance_id=MAINTENANCE, automatic=True, actor=SYSTEM, at=STARTS - timedelta(seconds=1)
    )
    given_maintenance(scheduled()).when(early).then()
    given_maintenance(scheduled(auto_start=False)).when(clock).then()


def test_a_start_racing_another_changes_nothing():
    manual = MaintenanceStarted(started_by=BOB, automatic=False, at=STARTS)
    clock = StartMaintenance(maintenance_id=MAINTENANCE, automatic=True, actor=SYSTEM, at=STARTS)
    given_maintenance(scheduled(), manual).when(clock).then()
    by_hand = StartMaintenance(maintenance_id=MAINTENANCE, actor=BOB, at=STARTS)
    given_maintenance(scheduled(), started()).when(by_hand).then()


def test_a_member_may_start_it_early():
    by_hand = StartMaintenance(maintenance_id=MAINTENANCE, actor=BOB, at=NOW)
    given_maintenance(scheduled()).when(by_hand).then(
        MaintenanceStarted(started_by=BOB, automatic=False, at=NOW)
    )


def test_a_cancelled_maintenance_cannot_start():
    cancelled = MaintenanceCancelled(cancelled_by=BOB, at=NOW)
    by_hand = StartMaintenance(maintenance_id=MAINTENANCE, actor=BOB, at=NOW)
    given_maintenance(scheduled(), cancelled).when(by_hand).then_error("maintenance_finished")


def test_the_clock_completes_it_at_the_end_of_its_window():
    clock = CompleteMaintenance(maintenance_id=MAINTENANCE, automatic=True, actor=SYSTEM, at=ENDS)
    given_maintenance(scheduled(), started()).when(clock).then(
        MaintenanceCompleted(completed_by=SYSTEM, automatic=True, at=ENDS)
    )
    early = CompleteMaintenance(
        maintenance_id=MAINTENANCE, automatic=True, actor=SYSTEM, at=ENDS - timedelta(seconds=1)
    )
    given_maintenance(scheduled(), started()).when(early).then()
    given_maintenance(scheduled(auto_complete=False), started()).when(clock).then()
    given_maintenance(scheduled()).when(clock).then()  # never started: nothing to complete


def test_completing_by_hand_needs_a_start_and_happens_once():
    by_hand = CompleteMaintenance(maintenance_id=MAINTENANCE, actor=BOB, at=NOW)
    given_maintenance(scheduled()).when(by_hand).then_error("invalid_status_transition")
    done = MaintenanceCompleted(completed_by=SYSTEM, automatic=True, at=ENDS)
    given_maintenance(scheduled(), started(), done).when(by_hand).then()


# Cancelling


def test_only_a_maintenance_that_has_not_started_can_be_cancelled():
    cancel = CancelMaintenance(maintenance_id=MAINTENANCE, actor=BOB, at=NOW)
    given_maintenance(scheduled()).when(cancel).then(MaintenanceCancelled(cancelled_by=BOB, at=NOW))
    given_maintenance(scheduled(), started()).when(cancel).then_error("maintenance_started")
    given_maintenance(scheduled(), MaintenanceCancelled(cancelled_by=BOB, at=NOW)).when(
        cancel
    ).then()


# Updates


def test_an_update_may_move_it_to_verifying_and_completed():
    given_maintenance(scheduled(), started()).when(update(status_change="verifying")).then(
        posted(status_change="verifying"), MaintenanceVerifying(update_id=UPDATE_1, at=NOW)
    )
    given_maintenance(scheduled()).when(update(status_change="completed")).then(
        posted(status_change="completed"),
        MaintenanceStarted(started_by=BOB, automatic=False, update_id=UPDATE_1, at=NOW),
        MaintenanceCompleted(completed_by=BOB, automatic=False, update_id=UPDATE_1, at=NOW),
    )


def test_update_rules_in_order():
    history = (scheduled(), started())
    given_maintenance(*history).when(update(body=" ", visibility="internal")).then_error(
        "update_must_carry_body_or_status_change"
    )
    given_maintenance(*history).when(update(body=None, status_change="verifying")).then_error(
        "body_required_for_public"
    )
    given_maintenance(*history).when(update(status_change="scheduled")).then_error(
        "invalid_status_transition", field=("status_change",)
    )
    given_maintenance(*history).when(update(status_change="cancelled")).then_error(
        "invalid_status_transition"
    )
    given_maintenance(*history).when(update(published_component_ids=frozenset())).then_error(
        "no_public_surface"
    )
    given_maintenance(*history).when(
        update(visibility="internal", published_component_ids=frozenset())
    ).then(posted(visibility="internal"))
    done = MaintenanceCompleted(completed_by=SYSTEM, automatic=True, at=ENDS)
    given_maintenance(*history, done).when(update()).then_error("maintenance_finished")


def test_an_update_is_redacted_once_and_must_exist():
    redact = RedactMaintenanceUpdate(
        maintenance_id=MAINTENANCE, update_id=UPDATE_1, actor=ALICE, at=NOW
    )
    redacted = MaintenanceUpdateRedacted(update_id=UPDATE_1, redacted_by=ALICE, at=NOW)
    given_maintenance(scheduled(), posted()).when(redact).then(redacted)
    given_maintenance(scheduled(), posted(), redacted).when(redact).then_error("already_redacted")
    other = RedactMaintenanceUpdate(
        maintenance_id=MAINTENANCE, update_id=UPDATE_2, actor=ALICE, at=NOW
    )
    given_maintenance(scheduled(), posted()).when(other).then_error("not_found")
    given_maintenance().when(redact).then_error("not_found")


# The state a stream leaves


def test_a_whole_life_folds_into_its_statuses_and_times():
    late = ENDS + timedelta(hours=3)  # the worker was down: it starts, then completes
    life = [
        scheduled(),
        MaintenanceStarted(started_by=SYSTEM, automatic=True, at=late),
        posted(at=late, status_change="verifying"),
        MaintenanceVerifying(update_id=UPDATE_1, at=late),
        MaintenanceUpdateRedacted(update_id=UPDATE_1, redacted_by=ALICE, at=late),
        MaintenanceCompleted(completed_by=SYSTEM, automatic=True, at=late),
    ]
    state = fold(life)
    assert state is not None
    assert (state.status, state.started_at, state.completed_at) == ("completed", late, late)
    assert [(u.id, u.status, u.redacted_by) for u in state.updates] == [
        (UPDATE_1, "verifying", ALICE)
    ]
    assert state.scheduled_for == STARTS and state.created_at == at(0)
    assert datetime(2025, 4, 7, tzinfo=UTC) < state.updated_at


# The reminder


def test_the_clock_reminds_once_per_window_within_its_reminder_time():
    remind = RemindOfMaintenance(
        maintenance_id=MAINTENANCE, actor=SYSTEM, at=STARTS - timedelta(minutes=60)
    )
    reminded = MaintenanceReminded(scheduled_for=STARTS, at=STARTS - timedelta(minutes=60))
    given_maintenance(scheduled()).when(remind).then(reminded)
    early = RemindOfMaintenance(
        maintenance_id=MAINTENANCE, actor=SYSTEM, at=STARTS - timedelta(minutes=61)
    )
    given_maintenance(scheduled()).when(early).then()
    given_maintenance(scheduled(), reminded).when(remind).then()
    given_maintenance(scheduled(reminder_minutes=None)).when(remind).then()
    too_late = RemindOfMaintenance(maintenance_id=MAINTENANCE, actor=SYSTEM, at=STARTS)
    given_maintenance(scheduled()).when(too_late).then()


def test_a_rescheduled_window_is_reminded_of_anew():
    later = STARTS + timedelta(days=1)
    history = (
        scheduled(),
        MaintenanceReminded(scheduled_for=STARTS, at=STARTS - timedelta(minutes=30)),
        MaintenanceRescheduled(
            scheduled_for=later,
            scheduled_until=later + timedelta(hours=1),
            rescheduled_by=BOB,
            at=STARTS - timedelta(minutes=20),
        ),
    )
    moment = later - timedelta(minutes=10)
    given_maintenance(*history).when(
        RemindOfMaintenance(maintenance_id=MAINTENANCE, actor=SYSTEM, at=moment)
    ).then(MaintenanceReminded(scheduled_for=later, at=moment))
