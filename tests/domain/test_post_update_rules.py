"""Posting an update: each rule's error code, and the order in which the rules are checked."""

from uuid import UUID

import pytest

from app.domain.decide import decide
from app.domain.errors import DomainError
from app.domain.incident import fold

from .examples import (
    API,
    CDN,
    DB,
    UPDATE_1,
    cs,
    moved,
    opened,
    post,
    posted,
    redacted,
    resolved_history,
    update_posted,
)
from .spec import given

IDENTIFIED = [opened(), *moved(UPDATE_1, 5, "investigating", "identified")]
BLANK_BODIES = [None, "", "  \n\t"]


def test_post_to_an_unknown_incident_is_not_found():
    given().when(post()).then_error("not_found")


def test_post_to_a_resolved_incident_is_incident_resolved():
    given(*resolved_history()).when(post()).then_error("incident_resolved")


@pytest.mark.parametrize("body", BLANK_BODIES)
def test_update_without_body_or_status_change_is_refused(body):
    command = post(visibility="internal", body=body)
    given(opened()).when(command).then_error("update_must_carry_body_or_status_change")


@pytest.mark.parametrize("body", BLANK_BODIES)
def test_public_update_needs_a_body(body):
    command = post(body=body, status_change="identified")
    given(opened()).when(command).then_error("body_required_for_public")


def test_status_may_not_go_backwards():
    given(*IDENTIFIED).when(post(status_change="investigating")).then_error(
        "invalid_status_transition"
    )


def test_status_may_not_be_set_to_the_current_one():
    given(*IDENTIFIED).when(post(status_change="identified")).then_error(
        "invalid_status_transition"
    )


def test_resolving_may_not_set_component_statuses():
    command = post(status_change="resolved", component_statuses=(cs(API, "operational"),))
    given(opened()).when(command).then_error("component_statuses_on_resolve")


@pytest.mark.parametrize(
    "published", [frozenset(), frozenset({CDN})], ids=["none-published", "no-overlap"]
)
def test_public_update_needs_a_published_page_showing_an_affected_component(published):
    given(opened()).when(post(published_component_ids=published)).then_error("no_public_surface")


def test_public_update_passes_when_one_published_component_is_affected():
    events = given(opened()).when(post(published_component_ids=frozenset({DB, CDN}))).decided()
    assert len(events) == 1


def test_internal_update_needs_no_public_surface():
    command = post(visibility="internal", published_component_ids=frozenset())
    assert len(given(opened()).when(command).decided()) == 1


def test_component_must_be_affected_by_the_incident():
    command = post(component_statuses=(cs(API, "partial_outage"), cs(CDN, "full_outage")))
    given(opened()).when(command).then_error(
        "component_not_affected", field=("component_statuses", 1, "component_id")
    )


def test_component_may_be_listed_once():
    statuses = (cs(API, "partial_outage"), cs(DB, "full_outage"), cs(API, "full_outage"))
    given(opened()).when(post(component_statuses=statuses)).then_error(
        "duplicate_component", field=("component_statuses", 2, "component_id")
    )


# Order: each command below breaks two rules and must get the earlier rule's code.


@pytest.mark.parametrize(
    "statuses, code",
    [
        ((cs(CDN, "full_outage"),), "component_not_affected"),
        ((cs(API, "full_outage"), cs(API, "operational")), "duplicate_component"),
    ],
)
def test_components_are_checked_before_incident_resolved(statuses, code):
    given(*resolved_history()).when(post(component_statuses=statuses)).then_error(code)


def test_components_are_checked_before_the_update_rules():
    command = post(
        body=None, published_component_ids=frozenset(), component_statuses=(cs(CDN, "full_outage"),)
    )
    given(opened()).when(command).then_error("component_not_affected")


def test_incident_resolved_before_missing_body_or_status_change():
    command = post(visibility="internal", body=None)
    given(*resolved_history()).when(command).then_error("incident_resolved")


def test_missing_body_or_status_change_before_body_required_for_public():
    given(opened()).when(post(body=None)).then_error("update_must_carry_body_or_status_change")


def test_body_required_for_public_before_invalid_status_transition():
    command = post(body="  ", status_change="identified")
    given(*IDENTIFIED).when(command).then_error("body_required_for_public")


# invalid_status_transition and component_statuses_on_resolve cannot both be broken: an invalid
# move to resolved means the incident is resolved already, which incident_resolved catches first.


def test_invalid_status_transition_before_no_public_surface():
    command = post(status_change="investigating", published_component_ids=frozenset())
    given(*IDENTIFIED).when(command).then_error("invalid_status_transition")


def test_component_statuses_on_resolve_before_no_public_surface():
    command = post(
        status_change="resolved",
        component_statuses=(cs(API, "operational"),),
        published_component_ids=frozenset(),
    )
    given(opened()).when(command).then_error("component_statuses_on_resolve")


# The update limit a dialect may set; updates count whoever posted them, redacted ones included.

UPDATE_IDS = [UUID(int=500 + n) for n in range(3)]
THREE_UPDATES = [opened(), *(posted(uid, 5 + n) for n, uid in enumerate(UPDATE_IDS))]


def test_an_update_beyond_the_limit_is_refused():
    given(*THREE_UPDATES).when(post(max_updates=3)).then_error("update_limit_reached")


def test_the_last_update_within_the_limit_is_accepted():
    given(*THREE_UPDATES[:-1]).when(post(max_updates=3)).then(update_posted())


def test_redacted_updates_still_count_toward_the_limit():
    history = [*THREE_UPDATES, redacted(UPDATE_IDS[0], 20)]
    given(*history).when(post(max_updates=3)).then_error("update_limit_reached")


def test_without_a_limit_an_incident_takes_any_number_of_updates():
    many = [opened(), *(posted(UUID(int=1000 + n), n) for n in range(150))]
    given(*many).when(post()).then(update_posted())


def test_incident_resolved_before_update_limit_reached():
    given(*resolved_history()).when(post(max_updates=1)).then_error("incident_resolved")


def test_update_limit_reached_before_missing_body_or_status_change():
    command = post(visibility="internal", body=None, max_updates=3)
    given(*THREE_UPDATES).when(command).then_error("update_limit_reached")


# Every dialect shows a rule's message as it is, so it names no field in any dialect's spelling;
# the field, if the rule is about one, travels apart in the domain's own names.
@pytest.mark.parametrize(
    ("history", "command", "field"),
    [
        ([opened()], post(visibility="internal", body=None), ("body",)),
        ([opened()], post(body=None, status_change="identified"), ("body",)),
        (IDENTIFIED, post(status_change="investigating"), ("status_change",)),
        (
            [opened()],
            post(status_change="resolved", component_statuses=(cs(API, "operational"),)),
            ("component_statuses",),
        ),
        (resolved_history(), post(), None),
    ],
    ids=[
        "no-body-or-status",
        "public-without-body",
        "backwards",
        "statuses-on-resolve",
        "resolved",
    ],
)
def test_a_rules_message_names_no_field(history, command, field):
    with pytest.raises(DomainError) as caught:
        decide(command, fold(history))
    error = caught.value
    assert error.field == field
    for spelling in ("body", "statusChange", "status_change", "componentStatuses", "visibility"):
        assert spelling not in error.message, error
