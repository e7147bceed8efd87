"""Request and response shapes of the v1 API, camelCase on the wire, apart from domain types."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec

from app.domain.catalog import Component, ComponentGroup, GroupRequest, StatusPage
from app.domain.values import (
    Actor,
    ComponentState,
    ComponentStatus,
    IncidentStatus,
    Severity,
    Visibility,
)
from app.present.times import iso_ms, iso_ms_or_none
from app.store.audit import AuditEntry
from app.store.incident_reads import IncidentView, UpdateView

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Description = Annotated[str, msgspec.Meta(max_length=2000)]
# Lowercase words joined by single hyphens: safe in a URL, no case-folding surprises.
Slug = Annotated[str, msgspec.Meta(max_length=63, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
ComponentIds = Annotated[list[UUID], msgspec.Meta(max_length=500)]


class Input(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """Unknown fields are ignored, so clients written against a newer API keep working."""


class Output(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    pass


class CreateComponent(Input):
    name: Name
    description: Description | None = None


class ComponentOut(Output):
    id: UUID
    organization_id: UUID
    name: str
    description: str | None
    created_at: str

    @classmethod
    def of(cls, component: Component) -> ComponentOut:
        return cls(
            id=component.id,
            organization_id=component.organization_id,
            name=component.name,
            description=component.description,
            created_at=iso_ms(component.created_at),
        )


class GroupIn(Input):
    name: Name
    component_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=500)]

    def to_domain(self) -> GroupRequest:
        return (self.name, tuple(self.component_ids))


Groups = Annotated[list[GroupIn], msgspec.Meta(max_length=100)]


class CreateStatusPage(Input):
    name: Name
    slug: Slug
    component_ids: ComponentIds = msgspec.field(default_factory=list)
    published: bool = False
    groups: Groups = msgspec.field(default_factory=list)


class EditStatusPage(Input):
    name: Name | None = None
    slug: Slug | None = None
    component_ids: ComponentIds | None = None
    published: bool | None = None
    # Replaces every group of the page; left out, the groups stay.
    groups: Groups | None = None


class GroupOut(Output):
    id: UUID
    name: str
    component_ids: list[UUID]

    @classmethod
    def of(cls, group: ComponentGroup) -> GroupOut:
        return cls(id=group.id, name=group.name, component_ids=list(group.component_ids))


class StatusPageOut(Output):
    id: UUID
    organization_id: UUID
    name: str
    slug: str
    component_ids: list[UUID]
    groups: list[GroupOut]
    published: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, page: StatusPage) -> StatusPageOut:
        return cls(
            id=page.id,
            organization_id=page.organization_id,
            name=page.name,
            slug=page.slug,
            component_ids=list(page.component_ids),
            groups=[GroupOut.of(group) for group in page.groups],
            published=page.published,
            created_at=iso_ms(page.created_at),
            updated_at=iso_ms(page.updated_at),
        )


Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=r"\S")]
Body = Annotated[str, msgspec.Meta(max_length=10_000)]


class ComponentStatusIO(msgspec.Struct, rename="camel", frozen=True):
    component_id: UUID
    status: ComponentState

    @classmethod
    def of(cls, status: ComponentStatus) -> ComponentStatusIO:
        return cls(component_id=status.component_id, status=status.status)

    def to_domain(self) -> ComponentStatus:
        return ComponentStatus(component_id=self.component_id, status=self.status)


class CreateIncident(Input):
    title: Title
    severity: Severity
    component_ids: ComponentIds
    owner_schedule_id: UUID | None = None


class EditIncidentIn(Input):
    title: Title | None = None
    severity: Severity | None = None
    component_ids: ComponentIds | None = None


class PostUpdateIn(Input):
    visibility: Visibility
    body: Body | None = None
    status_change: IncidentStatus | None = None
    component_statuses: Annotated[list[ComponentStatusIO], msgspec.Meta(max_length=500)] = (
        msgspec.field(default_factory=list)
    )
    notify_subscribers: bool = True


class ActorOut(Output):
    id: UUID
    name: str

    @classmethod
    def of(cls, actor: Actor) -> ActorOut:
        return cls(id=actor.id, name=actor.name)

    @classmethod
    def of_any(cls, actor: Actor | None) -> ActorOut | None:
        """Null where no one did it (yet)."""
        return None if actor is None else cls.of(actor)


class IncidentOut(Output):
    id: UUID
    organization_id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    component_ids: list[UUID]
    component_statuses: list[ComponentStatusIO]
    owner_schedule_id: UUID | None
    created_at: str
    updated_at: str
    resolved_at: str | None

    @classmethod
    def of(cls, incident: IncidentView) -> IncidentOut:
        return cls(
            id=incident.id,
            organization_id=incident.organization_id,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            component_ids=list(incident.component_ids),
            component_statuses=[ComponentStatusIO.of(cs) for cs in incident.component_statuses],
            owner_schedule_id=incident.owner_schedule_id,
            created_at=iso_ms(incident.opened_at),
            updated_at=iso_ms(incident.updated_at),
            resolved_at=iso_ms_or_none(incident.resolved_at),
        )


class UpdateOut(Output):
    id: UUID
    incident_id: UUID
    body: str | None
    status_change: IncidentStatus | None
    visibility: Visibility
    component_statuses: list[ComponentStatusIO]
    notify_subscribers: bool
    posted_by: ActorOut
    posted_at: str
    redacted_at: str | None
    redacted_by: ActorOut | None

    @classmethod
    def of(cls, update: UpdateView) -> UpdateOut:
        return cls(
            id=update.id,
            incident_id=update.incident_id,
            body=update.body,
            status_change=update.status_change,
            visibility=update.visibility,
            component_statuses=[ComponentStatusIO.of(cs) for cs in update.component_statuses],
            notify_subscribers=update.notify_subscribers,
            posted_by=ActorOut.of(update.posted_by),
            posted_at=iso_ms(update.posted_at),
            redacted_at=iso_ms_or_none(update.redacted_at),
            redacted_by=ActorOut.of_any(update.redacted_by),
        )


class AuditEntryOut(Output):
    version: int
    type: str
    recorded_at: str
    actor: ActorOut | None
    request_id: str | None
    # The event as the log holds it (snake_case, as written), never an update body.
    data: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            version=entry.version,
            type=entry.type,
            recorded_at=iso_ms(entry.recorded_at),
            actor=ActorOut.of_any(entry.actor),
            request_id=entry.request_id,
            data=entry.data,
        )
