"""How bad a status page looks: the worst component status and the page's indicator."""

import pytest

from app.domain.page_status import page_indicator, worst_component_state


def test_a_component_no_open_incident_touches_is_operational():
    assert worst_component_state([]) == "operational"


@pytest.mark.parametrize(
    "states, worst",
    [
        (["operational"], "operational"),
        (["operational", "degraded_performance"], "degraded_performance"),
        (["partial_outage", "degraded_performance", "operational"], "partial_outage"),
        (["degraded_performance", "full_outage", "partial_outage"], "full_outage"),
    ],
)
def test_a_component_shows_the_worst_status_any_incident_gives_it(states, worst):
    assert worst_component_state(states) == worst
    assert worst_component_state(reversed(states)) == worst


def test_a_page_with_nothing_open_shows_no_indicator():
    assert page_indicator([], []) == "none"


def test_operational_components_alone_show_no_indicator():
    assert page_indicator(["operational", "operational"], []) == "none"


@pytest.mark.parametrize(
    "state, indicator",
    [
        ("degraded_performance", "minor"),
        ("partial_outage", "major"),
        ("full_outage", "critical"),
    ],
)
def test_a_component_status_maps_to_an_indicator(state, indicator):
    assert page_indicator(["operational", state], []) == indicator


@pytest.mark.parametrize("severity", ["minor", "major", "critical"])
def test_an_open_incident_shows_its_severity(severity):
    assert page_indicator(["operational"], [severity]) == severity


def test_the_worst_component_status_wins_over_a_milder_severity():
    assert page_indicator(["degraded_performance", "full_outage"], ["minor", "major"]) == (
        "critical"
    )


def test_the_worst_severity_wins_over_a_milder_component_status():
    assert page_indicator(["degraded_performance"], ["minor", "critical", "major"]) == "critical"


def test_a_severity_and_a_component_status_of_equal_weight_agree():
    assert page_indicator(["partial_outage"], ["major"]) == "major"


def test_the_indicator_accepts_one_pass_iterables():
    # The caller hands in a generator of component states.
    states = (state for state in ["partial_outage"])
    assert page_indicator(states, iter(["minor"])) == "major"
