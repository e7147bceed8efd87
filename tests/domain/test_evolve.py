"""`evolve` and `fold`: the state a stream of events folds into."""

from app.domain.events import IncidentEdited, UpdateRedacted
from app.domain.incident import fold, update_standing

from .examples import (
    ALICE,
    API,
    BOB,
    CDN,
    DB,
    INCIDENT,
    ORG,
    SCHEDULE,
    T0,
    UPDATE_1,
    UPDATE_2,
    UPDATE_3,
    at,
    components_changed,
    cs,
    moved,
    opened,
    posted,
    told,
)


def test_an_opened_incident_is_investigating():
    state = fold([opened()])
    assert (state.id, state.organization_id, state.owner_schedule_id) == (INCIDENT, ORG, SCHEDULE)
    assert state.status == "investigating"
    assert state.component_ids == (API, DB)
    assert state.component_statuses == ()
    assert (state.opened_at, state.updated_at, state.resolved_at) == (T0, T0, None)


def test_status_changes_follow_the_events_and_resolving_stamps_the_time():
    state = fold(
        [
            opened(),
            *moved(UPDATE_1, 5, "investigating", "identified"),
            *moved(UPDATE_2, 30, "identified", "resolved"),
        ]
    )
    assert state.status == "resolved"
    assert state.resolved_at == at(30)
    assert state.updated_at == at(30)
    assert state.update_count == 2


def test_component_statuses_merge_per_component_across_updates():
    state = fold(
        [
            opened(),
            components_changed(UPDATE_1, 5, cs(DB, "full_outage"), cs(API, "degraded_performance")),
            components_changed(UPDATE_2, 10, cs(API, "operational")),
        ]
    )
    # Later replaces only the component it names; order follows the incident's component_ids.
    assert state.component_statuses == (cs(API, "operational"), cs(DB, "full_outage"))


def test_editing_components_drops_statuses_of_removed_ones():
    state = fold(
        [
            opened(),
            components_changed(UPDATE_1, 5, cs(API, "partial_outage"), cs(DB, "full_outage")),
            IncidentEdited(component_ids=(DB, CDN), edited_by=BOB, at=at(10)),
        ]
    )
    assert state.component_ids == (DB, CDN)
    assert state.component_statuses == (cs(DB, "full_outage"),)


def test_editing_replaces_only_the_fields_it_sets():
    state = fold([opened(), IncidentEdited(severity="minor", edited_by=BOB, at=at(10))])
    assert (state.title, state.severity) == ("Payments elevated error rate", "minor")
    assert state.component_ids == (API, DB)
    assert state.updated_at == at(10)


def test_where_an_update_stands_follows_its_posting_and_redaction():
    events = [
        opened(),
        posted(UPDATE_1, 5),
        posted(UPDATE_2, 6),
        UpdateRedacted(update_id=UPDATE_2, redacted_by=ALICE, at=at(8)),
    ]
    assert fold(events).update_count == 2
    assert update_standing(events, UPDATE_1) == "posted"
    assert update_standing(events, UPDATE_2) == "redacted"
    assert update_standing(events, UPDATE_3) == "absent"


def test_an_internal_update_changes_the_component_statuses_but_not_the_public_ones():
    state = fold([opened(), *told(UPDATE_1, 5, cs(API, "full_outage"), visibility="internal")])
    assert state.component_statuses == (cs(API, "full_outage"),)
    assert state.public_component_statuses == ()


def test_a_public_update_changes_both_and_a_later_internal_one_only_the_team_view():
    state = fold(
        [
            opened(),
            *told(UPDATE_1, 5, cs(API, "partial_outage"), cs(DB, "degraded_performance")),
            *told(UPDATE_2, 10, cs(API, "full_outage"), visibility="internal"),
        ]
    )
    assert state.component_statuses == (cs(API, "full_outage"), cs(DB, "degraded_performance"))
    assert state.public_component_statuses == (
        cs(API, "partial_outage"),
        cs(DB, "degraded_performance"),
    )


def test_going_public_without_statuses_shows_none_of_the_internal_ones():
    state = fold(
        [
            opened(),
            *told(UPDATE_1, 5, cs(API, "full_outage"), visibility="internal"),
            posted(UPDATE_2, 10, visibility="public"),
        ]
    )
    assert state.public_component_statuses == ()


def test_resolving_internally_returns_the_public_components_to_operational():
    state = fold(
        [
            opened(),
            *told(UPDATE_1, 5, cs(API, "partial_outage")),
            *told(UPDATE_2, 10, cs(DB, "full_outage"), visibility="internal"),
            *moved(UPDATE_3, 30, "investigating", "resolved"),
            components_changed(UPDATE_3, 30, cs(API, "operational"), cs(DB, "operational")),
        ]
    )
    operational = (cs(API, "operational"), cs(DB, "operational"))
    assert state.public_component_statuses == operational
    assert state.component_statuses == operational


def test_editing_components_drops_public_statuses_of_removed_ones():
    state = fold(
        [
            opened(),
            *told(UPDATE_1, 5, cs(API, "partial_outage"), cs(DB, "full_outage")),
            IncidentEdited(component_ids=(DB, CDN), edited_by=BOB, at=at(10)),
        ]
    )
    assert state.public_component_statuses == (cs(DB, "full_outage"),)
