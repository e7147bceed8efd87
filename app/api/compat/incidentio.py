"""incident.io's POST /v2/status_page_incident_updates, building the same PostUpdate as v1.

Ids are Herald's: `status_page_incident_id` is an incident id and `component_id` a component id
(incident.io reserves the right to change its ids' format, so its clients treat them as opaque).
Every update through this dialect is public, as anything posted to an incident.io status page is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, Router, post
from litestar.di import NamedDependency

from app.api.auth import WRITE
from app.api.body import decode_json
from app.api.compat import dialect_router
from app.api.compat.incidentio_errors import EXCEPTION_HANDLERS
from app.api.errors import parse_id
from app.api.post_update import UpdateRequest, post_update
from app.domain.incident import Incident
from app.domain.values import ComponentState, ComponentStatus, IncidentStatus
from app.store.api_keys import Principal
from app.store.incident_reads import UpdateView, get_incident

# "There is a limit of 100 updates per incident", whichever dialect posted them.
MAX_UPDATES = 100


class ComponentImpact(msgspec.Struct, frozen=True):
    component_id: UUID
    component_status: ComponentState

    @classmethod
    def of(cls, status: ComponentStatus) -> ComponentImpact:
        return cls(component_id=status.component_id, component_status=status.status)

    def to_domain(self) -> ComponentStatus:
        return ComponentStatus(component_id=self.component_id, status=self.component_status)


class CreateUpdateIn(msgspec.Struct, frozen=True, kw_only=True):
    """Unknown fields are ignored; generated clients may send null for an optional field."""

    status_page_incident_id: str
    message: Annotated[str, msgspec.Meta(max_length=4096)]
    notify_subscribers: bool
    incident_status: IncidentStatus | None = None
    component_statuses: list[ComponentImpact] | None = None


class UpdateOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    status_page_incident_id: UUID
    message: str
    incident_status: IncidentStatus
    component_statuses: list[ComponentImpact]
    published_at: str


def _timestamp(moment: datetime) -> str:
    """UTC with microseconds, as the dialect shows `published_at`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _shown(
    update: UpdateView, component_statuses: tuple[ComponentStatus, ...]
) -> dict[str, UpdateOut]:
    """The update with the statuses its incident's components have once it was posted."""
    out = UpdateOut(
        id=update.id,
        status_page_incident_id=update.incident_id,
        message=update.body or "",  # empty once redacted
        incident_status=update.status,
        component_statuses=[ComponentImpact.of(cs) for cs in component_statuses],
        published_at=_timestamp(update.posted_at),
    )
    return {"status_page_incident_update": out}


class StatusPageIncidentUpdates(Controller):
    path = "/status_page_incident_updates"

    @post("/", opt=WRITE, status_code=201)
    async def create(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def parse() -> UpdateRequest:
            data = await decode_json(request, CreateUpdateIn)
            return UpdateRequest(
                incident_id=parse_id(data.status_page_incident_id, "status page incident"),
                visibility="public",
                body=data.message,
                status_change=data.incident_status,
                component_statuses=tuple(cs.to_domain() for cs in data.component_statuses or ()),
                notify_subscribers=data.notify_subscribers,
                same_status_is_no_change=True,
                max_updates=MAX_UPDATES,
            )

        async def show(update: UpdateView) -> dict[str, UpdateOut]:
            incident = await get_incident(
                request.app.state.pool, principal.organization_id, update.incident_id
            )
            assert incident is not None
            return _shown(update, incident.component_statuses)

        def show_posted(update: UpdateView, incident: Incident) -> dict[str, UpdateOut]:
            return _shown(update, incident.component_statuses)

        return await post_update(request, principal, parse, show, show_posted)


def router() -> Router:
    return dialect_router("/v2", [StatusPageIncidentUpdates], EXCEPTION_HANDLERS)
