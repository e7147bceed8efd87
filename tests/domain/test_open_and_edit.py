"""Opening and editing an incident."""

import pytest

from app.domain.events import IncidentEdited, IncidentOpened

from .examples import (
    ALICE,
    API,
    BOB,
    CDN,
    DB,
    INCIDENT,
    NOW,
    ORG,
    SCHEDULE,
    edit,
    open_incident,
    opened,
    resolved_history,
)
from .spec import given


def test_open_records_the_incident_at_the_commands_time():
    given().when(open_incident()).then(
        IncidentOpened(
            incident_id=INCIDENT,
            organization_id=ORG,
            title="Payments elevated error rate",
            severity="critical",
            component_ids=(API, DB),
            owner_schedule_id=SCHEDULE,
            opened_by=ALICE,
            at=NOW,
        )
    )


def test_open_lists_each_component_once_in_first_seen_order():
    [event] = given().when(open_incident(component_ids=(DB, API, DB, API))).decided()
    assert event.component_ids == (DB, API)


def test_open_an_existing_incident_is_incident_exists():
    given(opened()).when(open_incident()).then_error("incident_exists")


def test_edit_an_unknown_incident_is_not_found():
    given().when(edit(title="New title")).then_error("not_found")


def test_edit_sets_only_the_fields_that_changed():
    given(opened()).when(
        edit(title="Payments outage", severity="critical", component_ids=(API, DB))
    ).then(IncidentEdited(title="Payments outage", edited_by=BOB, at=NOW))


def test_edit_can_change_severity_and_components():
    given(opened()).when(edit(severity="minor", component_ids=(API, CDN, API))).then(
        IncidentEdited(severity="minor", component_ids=(API, CDN), edited_by=BOB, at=NOW)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": "Payments elevated error rate", "severity": "critical"},
        {"component_ids": (API, DB, API)},
    ],
    ids=["nothing", "same-values", "same-components-after-dedupe"],
)
def test_edit_that_changes_nothing_records_nothing(changes):
    given(opened()).when(edit(**changes)).then()


@pytest.mark.parametrize("changes", [{"title": "Too late"}, {}], ids=["change", "no-op"])
def test_edit_a_resolved_incident_is_incident_resolved(changes):
    given(*resolved_history()).when(edit(**changes)).then_error("incident_resolved")
