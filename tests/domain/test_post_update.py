"""Posting an update: the events it records when every rule passes."""

import msgspec
import pytest

from app.domain.events import ComponentStatusesChanged
from app.domain.incident import fold

from .examples import (
    API,
    DB,
    NEW_UPDATE,
    NOW,
    UPDATE_1,
    components_changed,
    cs,
    moved,
    opened,
    post,
    status_changed,
    update_posted,
)
from .spec import given


def test_public_update_with_a_body():
    given(opened()).when(post(notify_subscribers=False)).then(
        update_posted(notify_subscribers=False)
    )


def test_internal_update_may_carry_only_a_status_change():
    given(opened()).when(post(visibility="internal", body=None, status_change="identified")).then(
        update_posted(visibility="internal", has_body=False, status_change="identified"),
        status_changed("investigating", "identified"),
    )


def test_a_whitespace_body_counts_as_no_body():
    command = post(visibility="internal", body="  \n\t", status_change="identified")
    [update, _] = given(opened()).when(command).decided()
    assert update.has_body is False


def test_a_forward_transition_may_skip_steps():
    given(opened()).when(post(status_change="monitoring")).then(
        update_posted(status_change="monitoring"),
        status_changed("investigating", "monitoring"),
    )


def test_status_changed_records_where_the_incident_came_from():
    history = [opened(), *moved(UPDATE_1, 5, "investigating", "identified")]
    given(*history).when(post(visibility="internal", body=None, status_change="monitoring")).then(
        update_posted(visibility="internal", has_body=False, status_change="monitoring"),
        status_changed("identified", "monitoring"),
    )


def test_component_statuses_are_recorded_on_the_update_and_as_a_change():
    statuses = (cs(DB, "partial_outage"), cs(API, "degraded_performance"))
    given(opened()).when(post(component_statuses=statuses)).then(
        update_posted(component_statuses=statuses),
        ComponentStatusesChanged(update_id=NEW_UPDATE, component_statuses=statuses, at=NOW),
    )


def test_resolving_returns_every_affected_component_to_operational():
    history = [opened(), components_changed(UPDATE_1, 5, cs(DB, "full_outage"))]
    given(*history).when(post(status_change="resolved")).then(
        update_posted(status_change="resolved"),
        status_changed("investigating", "resolved"),
        ComponentStatusesChanged(
            update_id=NEW_UPDATE,
            component_statuses=(cs(API, "operational"), cs(DB, "operational")),
            at=NOW,
        ),
    )


def test_resolving_leaves_a_resolved_incident_with_operational_components():
    history = [opened(), components_changed(UPDATE_1, 5, cs(DB, "full_outage"))]
    events = given(*history).when(post(status_change="resolved")).decided()
    state = fold([*history, *events])
    assert state.status == "resolved"
    assert state.resolved_at == NOW
    assert state.component_statuses == (cs(API, "operational"), cs(DB, "operational"))


def test_same_status_as_no_change_posts_without_a_transition():
    history = [opened(), *moved(UPDATE_1, 5, "investigating", "identified")]
    command = post(status_change="identified", same_status_is_no_change=True)
    given(*history).when(command).then(update_posted(status_change=None))


def test_same_status_as_no_change_still_moves_forward():
    command = post(status_change="identified", same_status_is_no_change=True)
    given(opened()).when(command).then(
        update_posted(status_change="identified"),
        status_changed("investigating", "identified"),
    )


def test_same_status_as_no_change_still_refuses_to_go_backwards():
    history = [opened(), *moved(UPDATE_1, 5, "investigating", "identified")]
    command = post(status_change="investigating", same_status_is_no_change=True)
    given(*history).when(command).then_error("invalid_status_transition")


def test_same_status_as_no_change_without_a_body_carries_nothing():
    # Once the same status is read as "no change", the update has neither body nor change.
    command = post(
        visibility="internal",
        body=None,
        status_change="investigating",
        same_status_is_no_change=True,
    )
    given(opened()).when(command).then_error("update_must_carry_body_or_status_change")


BODY = "Rolled back deploy v3.14.2 -- secret-marker-7f3a"


@pytest.mark.parametrize(
    "command",
    [
        post(body=BODY),
        post(body=BODY, visibility="internal", status_change="resolved"),
        post(body=BODY, component_statuses=(cs(API, "partial_outage"),)),
    ],
    ids=["public", "internal-resolve", "with-components"],
)
def test_no_event_carries_the_body(command):
    events = given(opened()).when(command).decided()
    assert events
    for event in events:
        assert b"secret-marker-7f3a" not in msgspec.json.encode(event)
