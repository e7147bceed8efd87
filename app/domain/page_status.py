"""How bad things look on a status page, derived from the open incidents that touch it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from uuid import UUID

import msgspec

from app.domain.values import ComponentState, Severity

# "maintenance": a maintenance is in progress on the page and nothing is worse.
Indicator = Literal["none", "minor", "major", "critical", "maintenance"]
# What a page shows of a component: its incidents' worst status, or under_maintenance while a
# maintenance touching it is in progress and no open incident makes it worse.
ShownState = ComponentState | Literal["under_maintenance"]

INDICATOR_ORDER: tuple[Indicator, ...] = ("none", "minor", "major", "critical")
COMPONENT_ORDER: tuple[ComponentState, ...] = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "full_outage",
)
SHOWN_ORDER: tuple[ShownState, ...] = ("operational", "under_maintenance", *COMPONENT_ORDER[1:])
_COMPONENT_INDICATOR: dict[ComponentState, Indicator] = dict(
    zip(COMPONENT_ORDER, INDICATOR_ORDER, strict=True)
)
DESCRIPTIONS: dict[Indicator, str] = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
    "maintenance": "Service Under Maintenance",
}


class PageStatus(msgspec.Struct, frozen=True, kw_only=True):
    indicator: Indicator
    description: str
    # Every component of the page, in the page's order, with its derived status.
    components: tuple[tuple[UUID, ShownState], ...]


def worst_component_state(states: Iterable[ShownState]) -> ShownState:
    """A component shows the worst status any open incident gives it; operational if none."""
    return max(states, key=SHOWN_ORDER.index, default="operational")


def page_indicator(
    component_states: Iterable[ComponentState], open_severities: Iterable[Severity]
) -> Indicator:
    """The worse of the worst component status and the severity of the open incidents."""
    candidates = [_COMPONENT_INDICATOR[state] for state in component_states]
    candidates += list(open_severities)
    return max(candidates, key=INDICATOR_ORDER.index, default="none")


def shows(page_component_ids: Iterable[UUID], incident_component_ids: Iterable[UUID]) -> bool:
    """A status page shows an incident that affects at least one of the page's components."""
    return not set(page_component_ids).isdisjoint(incident_component_ids)
