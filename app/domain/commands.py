"""Commands: what a caller asks of an incident. Ids and time are chosen by the shell."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.values import (
    Actor,
    ComponentStatus,
    IncidentStatus,
    Severity,
    UpdateStanding,
    Visibility,
)


class OpenIncident(msgspec.Struct, frozen=True, kw_only=True):
    incident_id: UUID
    organization_id: UUID
    title: str
    severity: Severity
    component_ids: tuple[UUID, ...]
    owner_schedule_id: UUID | None = None
    actor: Actor
    at: datetime


class EditIncident(msgspec.Struct, frozen=True, kw_only=True):
    incident_id: UUID
    title: str | None = None
    severity: Severity | None = None
    component_ids: tuple[UUID, ...] | None = None
    actor: Actor
    at: datetime


class ThroughPage(msgspec.Struct, frozen=True, kw_only=True):
    """The status page a dialect's request posts an update through: it must be published and
    show the incident, or there is nothing to update. `component_ids` is the fact the shell
    looked up: the components the page shows, None when the organization has no published page
    `page_id`."""

    page_id: UUID
    component_ids: frozenset[UUID] | None = None


class PostUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Post an update; `body` travels on the command only, events record whether it existed.

    `published_component_ids` is the fact the shell looked up for the no_public_surface rule:
    the components shown on the organization's published status pages.
    `same_status_is_no_change` lets a dialect treat "status = current status" as "no change"
    where the native API calls it an invalid transition.
    `max_updates` caps how many updates the incident may hold, counting every dialect's, for a
    dialect that promises such a limit; None means no cap.
    `through_page` is the status page a dialect's request names, if it names one.
    """

    incident_id: UUID
    update_id: UUID
    visibility: Visibility
    body: str | None = None
    status_change: IncidentStatus | None = None
    component_statuses: tuple[ComponentStatus, ...] = ()
    notify_subscribers: bool = True
    published_component_ids: frozenset[UUID] = frozenset()
    same_status_is_no_change: bool = False
    max_updates: int | None = None
    through_page: ThroughPage | None = None
    actor: Actor
    at: datetime


class RedactUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Redact an update. `standing` is the fact the shell looked up for the rules: where the
    update stands on the incident (see `update_standing`), which the incident's state does not
    keep, since it would grow with every update."""

    incident_id: UUID
    update_id: UUID
    standing: UpdateStanding = "absent"
    actor: Actor
    at: datetime


Command = OpenIncident | EditIncident | PostUpdate | RedactUpdate
