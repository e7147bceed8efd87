"""Value types shared by commands, events and state."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Severity = Literal["critical", "major", "minor"]
Visibility = Literal["internal", "public"]
# Where an update stands on its incident: never posted there, posted, or posted and redacted.
UpdateStanding = Literal["absent", "posted", "redacted"]
ComponentState = Literal["operational", "degraded_performance", "partial_outage", "full_outage"]

# The lifecycle runs forward only; a later position may be reached by skipping steps.
STATUS_ORDER: tuple[IncidentStatus, ...] = ("investigating", "identified", "monitoring", "resolved")


class Actor(msgspec.Struct, frozen=True):
    """The member who issued a command, as shown beside what they did."""

    id: UUID
    name: str


class ComponentStatus(msgspec.Struct, frozen=True):
    component_id: UUID
    status: ComponentState
