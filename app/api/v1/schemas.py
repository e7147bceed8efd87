"""Request and response shapes of the v1 API, camelCase on the wire, apart from domain types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.store.catalog import Component, StatusPage

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Description = Annotated[str, msgspec.Meta(max_length=2000)]
# Lowercase words joined by single hyphens: safe in a URL, no case-folding surprises.
Slug = Annotated[str, msgspec.Meta(max_length=63, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
ComponentIds = Annotated[list[UUID], msgspec.Meta(max_length=500)]


def iso_ms(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as every time in the API is shown."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Input(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


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


class CreateStatusPage(Input):
    name: Name
    slug: Slug
    component_ids: ComponentIds = msgspec.field(default_factory=list)
    published: bool = False


class EditStatusPage(Input):
    name: Name | None = None
    slug: Slug | None = None
    component_ids: ComponentIds | None = None
    published: bool | None = None


class StatusPageOut(Output):
    id: UUID
    organization_id: UUID
    name: str
    slug: str
    component_ids: list[UUID]
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
            published=page.published,
            created_at=iso_ms(page.created_at),
            updated_at=iso_ms(page.updated_at),
        )
