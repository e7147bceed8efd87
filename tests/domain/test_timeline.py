"""The public timeline, when an incident went public, and the spans its components spent down."""

from app.domain.events import Event
from app.domain.timeline import (
    ComponentInterval,
    TimelineEntry,
    component_intervals,
    first_public_update_at,
    public_timeline,
)
from app.domain.values import ComponentState

from .examples import (
    API,
    CDN,
    DB,
    NEW_UPDATE,
    NOW,
    UPDATE_1,
    UPDATE_2,
    UPDATE_3,
    at,
    components_changed,
    cs,
    edited,
    moved,
    opened,
    post,
    posted,
    redacted,
    resolved_history,
    told,
)
from .spec import given

DEGRADED = (cs(API, "degraded_performance"),)


def entry(update_id, minute, status, kind="update", **changes) -> TimelineEntry:
    return TimelineEntry(update_id=update_id, kind=kind, status=status, at=at(minute), **changes)


# public_timeline


def test_an_incident_with_no_updates_has_an_empty_timeline():
    assert public_timeline([opened()]) == []


def test_a_public_update_shows_with_its_component_statuses_and_notification():
    events = [
        opened(),
        posted(UPDATE_1, 5, visibility="public", component_statuses=DEGRADED),
        components_changed(UPDATE_1, 5, *DEGRADED),
    ]
    assert public_timeline(events) == [
        entry(UPDATE_1, 5, "investigating", component_statuses=DEGRADED, notify_subscribers=True)
    ]


def test_a_public_update_that_notifies_nobody_says_so():
    events = [opened(), posted(UPDATE_1, 5, visibility="public", notify_subscribers=False)]
    [shown] = public_timeline(events)
    assert shown.notify_subscribers is False


def test_a_public_update_without_a_status_change_carries_the_current_status():
    events = [
        opened(),
        *moved(UPDATE_1, 5, "investigating", "monitoring"),
        posted(UPDATE_2, 10, visibility="public"),
    ]
    assert public_timeline(events)[-1] == entry(UPDATE_2, 10, "monitoring", notify_subscribers=True)


def test_a_public_update_with_a_status_change_carries_the_new_status():
    events = [opened(), *moved(UPDATE_1, 5, "investigating", "identified", visibility="public")]
    assert public_timeline(events) == [entry(UPDATE_1, 5, "identified", notify_subscribers=True)]


def test_an_internal_status_change_shows_as_a_bare_transition():
    # The update's components and its wish to notify stay internal with its body.
    events = [
        opened(),
        *moved(UPDATE_1, 5, "investigating", "identified", component_statuses=DEGRADED),
        components_changed(UPDATE_1, 5, *DEGRADED),
    ]
    assert public_timeline(events) == [entry(UPDATE_1, 5, "identified", kind="transition")]


def test_an_internal_update_without_a_status_change_does_not_show():
    events = [
        opened(),
        posted(UPDATE_1, 5, component_statuses=DEGRADED),
        components_changed(UPDATE_1, 5, *DEGRADED),
        posted(UPDATE_2, 10, visibility="public"),
    ]
    assert [shown.update_id for shown in public_timeline(events)] == [UPDATE_2]


def test_a_resolved_incident_ends_with_its_resolution():
    assert public_timeline(resolved_history()) == [
        entry(UPDATE_2, 30, "resolved", kind="transition")
    ]


def test_entries_follow_the_order_of_posting():
    events = [
        opened(),
        posted(UPDATE_1, 5, visibility="public"),
        *moved(UPDATE_2, 10, "investigating", "identified"),
        posted(UPDATE_3, 15, visibility="public"),
    ]
    shown = public_timeline(events)
    assert [(e.update_id, e.kind, e.status, e.at) for e in shown] == [
        (UPDATE_1, "update", "investigating", at(5)),
        (UPDATE_2, "transition", "identified", at(10)),
        (UPDATE_3, "update", "identified", at(15)),
    ]


def test_a_redacted_update_keeps_its_row_and_time():
    events = [
        opened(),
        posted(UPDATE_1, 5, visibility="public", component_statuses=DEGRADED),
        posted(UPDATE_2, 10, visibility="public"),
        redacted(UPDATE_1, 20),
    ]
    assert public_timeline(events) == [
        entry(
            UPDATE_1,
            5,
            "investigating",
            component_statuses=DEGRADED,
            notify_subscribers=True,
            redacted=True,
        ),
        entry(UPDATE_2, 10, "investigating", notify_subscribers=True),
    ]


def test_a_redacted_transition_keeps_its_row():
    events = [opened(), *moved(UPDATE_1, 5, "investigating", "identified"), redacted(UPDATE_1, 20)]
    assert public_timeline(events) == [
        entry(UPDATE_1, 5, "identified", kind="transition", redacted=True)
    ]


def test_redacting_a_hidden_update_shows_nothing():
    events = [opened(), posted(UPDATE_1, 5), redacted(UPDATE_1, 20)]
    assert public_timeline(events) == []


def test_redaction_after_resolution_still_marks_the_row():
    events = [
        opened(),
        posted(UPDATE_1, 5, visibility="public"),
        *resolved_history()[2:],
        redacted(UPDATE_1, 40),
    ]
    assert [(e.update_id, e.redacted) for e in public_timeline(events)] == [
        (UPDATE_1, True),
        (UPDATE_2, False),
    ]


# first_public_update_at


def test_an_incident_with_only_internal_updates_never_went_public():
    assert first_public_update_at(resolved_history()) is None


def test_an_incident_goes_public_with_its_first_public_update():
    events = [
        opened(),
        *moved(UPDATE_1, 5, "investigating", "identified"),
        posted(UPDATE_2, 10, visibility="public"),
        posted(UPDATE_3, 15, visibility="public"),
    ]
    assert first_public_update_at(events) == at(10)


# component_intervals


def span(component, status: ComponentState, start: int, end: int | None) -> ComponentInterval:
    return ComponentInterval(
        component_id=component,
        status=status,
        started_at=at(start),
        ended_at=None if end is None else at(end),
    )


def intervals(*events: Event) -> list[ComponentInterval]:
    """The spans in a fixed order, so the tests do not depend on the order returned."""
    return sorted(component_intervals(events), key=lambda s: (s.started_at, s.component_id.int))


def test_no_component_statuses_means_no_spans():
    assert intervals(opened(), posted(UPDATE_1, 5, visibility="public")) == []


def test_a_status_still_in_force_is_an_open_span():
    events = [opened(), *told(UPDATE_1, 5, cs(API, "partial_outage"))]
    assert intervals(*events) == [span(API, "partial_outage", 5, None)]


def test_operational_opens_no_span():
    events = [opened(), *told(UPDATE_1, 5, cs(API, "operational"))]
    assert intervals(*events) == []


def test_returning_to_operational_closes_the_span():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage")),
        *told(UPDATE_2, 20, cs(API, "operational")),
    ]
    assert intervals(*events) == [span(API, "partial_outage", 5, 20)]


def test_a_new_non_operational_status_closes_the_span_and_opens_another():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "full_outage")),
        *told(UPDATE_2, 20, cs(API, "degraded_performance")),
    ]
    assert intervals(*events) == [
        span(API, "full_outage", 5, 20),
        span(API, "degraded_performance", 20, None),
    ]


def test_components_not_listed_keep_their_span():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage"), cs(DB, "full_outage")),
        *told(UPDATE_2, 20, cs(DB, "operational")),
    ]
    assert intervals(*events) == [
        span(API, "partial_outage", 5, None),
        span(DB, "full_outage", 5, 20),
    ]


def test_resolving_closes_every_span_at_the_resolution():
    history = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage"), cs(DB, "full_outage")),
    ]
    resolution = given(*history).when(post(status_change="resolved")).decided()
    assert intervals(*history, *resolution) == [
        ComponentInterval(
            component_id=API, status="partial_outage", started_at=at(5), ended_at=NOW
        ),
        ComponentInterval(component_id=DB, status="full_outage", started_at=at(5), ended_at=NOW),
    ]


def test_spans_opened_by_posted_updates_run_until_resolution():
    # The whole path through decide: the spans come from what it records, not from UpdatePosted.
    history = [opened()]
    for command in [
        post(update_id=UPDATE_1, component_statuses=DEGRADED, at=at(5)),
        post(update_id=UPDATE_2, component_statuses=(cs(DB, "full_outage"),), at=at(10)),
        post(update_id=NEW_UPDATE, status_change="resolved", at=at(30)),
    ]:
        history += given(*history).when(command).decided()
    assert intervals(*history) == [
        span(API, "degraded_performance", 5, 30),
        span(DB, "full_outage", 10, 30),
    ]


def test_an_edit_that_drops_a_component_ends_its_span():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage"), cs(DB, "full_outage")),
        edited(15, component_ids=(DB, CDN)),
    ]
    assert intervals(*events) == [
        span(API, "partial_outage", 5, 15),
        span(DB, "full_outage", 5, None),
    ]


def test_an_edit_that_keeps_the_components_leaves_their_spans_open():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage")),
        edited(15, title="Payments API down"),
        edited(20, component_ids=(DB, API, CDN)),
    ]
    assert intervals(*events) == [span(API, "partial_outage", 5, None)]


def test_a_dropped_component_is_not_closed_again_by_resolution():
    history = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage")),
        edited(15, component_ids=(DB,)),
    ]
    resolve = post(status_change="resolved", published_component_ids=frozenset({DB}))
    resolution = given(*history).when(resolve).decided()
    assert intervals(*history, *resolution) == [span(API, "partial_outage", 5, 15)]


def test_an_internal_update_opens_no_span():
    events = [opened(), *told(UPDATE_1, 5, cs(API, "full_outage"), visibility="internal")]
    assert intervals(*events) == []


def test_internal_statuses_are_not_backdated_when_the_incident_goes_public():
    history = [opened()]
    for command in [
        post(update_id=UPDATE_1, visibility="internal", component_statuses=DEGRADED, at=at(5)),
        post(update_id=UPDATE_2, at=at(10)),  # public, no componentStatuses
    ]:
        history += given(*history).when(command).decided()
    assert intervals(*history) == []
    later = post(component_statuses=(cs(API, "full_outage"),), at=at(40))
    history += given(*history).when(later).decided()
    assert intervals(*history) == [span(API, "full_outage", 40, None)]


def test_an_internal_update_neither_closes_nor_changes_a_public_span():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "partial_outage")),
        *told(UPDATE_2, 10, cs(API, "operational"), cs(DB, "full_outage"), visibility="internal"),
    ]
    assert intervals(*events) == [span(API, "partial_outage", 5, None)]


def test_an_internal_resolution_closes_the_public_spans():
    history = [opened(), *told(UPDATE_1, 5, cs(API, "partial_outage"))]
    resolve = post(visibility="internal", status_change="resolved", body=None, at=at(30))
    history += given(*history).when(resolve).decided()
    assert intervals(*history) == [span(API, "partial_outage", 5, 30)]
