"""Components and status pages of an organization, as values; app/store/catalog.py keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.errors import DomainError


class Component(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    name: str
    description: str | None
    created_at: datetime


class ComponentGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Components a page shows together under one name, where its first member would be."""

    id: UUID
    name: str
    component_ids: tuple[UUID, ...]


class StatusPage(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    name: str
    slug: str
    component_ids: tuple[UUID, ...]
    published: bool
    created_at: datetime
    updated_at: datetime
    groups: tuple[ComponentGroup, ...] = ()


# A group as a client asks for it: a name and its members, in the order they show.
GroupRequest = tuple[str, tuple[UUID, ...]]


def check_groups(component_ids: Sequence[UUID], groups: Sequence[GroupRequest]) -> None:
    """Refuse groups whose members are not on the page, or whose name or member another group
    already has; errors name the first offending field."""
    on_page = set(component_ids)
    names: set[str] = set()
    grouped: set[UUID] = set()
    for index, (name, members) in enumerate(groups):
        if name.casefold() in names:
            raise DomainError(
                "duplicate_group_name",
                "Another group of this page already has this name.",
                ("groups", index, "name"),
            )
        names.add(name.casefold())
        for position, member in enumerate(members):
            field = ("groups", index, "component_ids", position)
            if member not in on_page:
                raise DomainError(
                    "component_not_on_page",
                    "A group can only hold components that the page shows.",
                    field,
                )
            if member in grouped:
                raise DomainError(
                    "duplicate_component", "This component is already in a group.", field
                )
            grouped.add(member)


def keep_on_page(
    groups: Sequence[ComponentGroup], component_ids: Sequence[UUID]
) -> tuple[ComponentGroup, ...]:
    """The groups once the page shows only `component_ids`: members it no longer shows leave
    their group, and a group left empty goes."""
    on_page = set(component_ids)
    kept = (
        msgspec.structs.replace(
            group, component_ids=tuple(c for c in group.component_ids if c in on_page)
        )
        for group in groups
    )
    return tuple(group for group in kept if group.component_ids)
