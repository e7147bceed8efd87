"""Components and status pages of an organization."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from app.domain.catalog import (
    Component,
    ComponentGroup,
    GroupRequest,
    StatusPage,
    check_groups,
    keep_on_page,
)
from app.domain.errors import DomainError
from app.ids import new_id

_groups_decoder = msgspec.json.Decoder(tuple[ComponentGroup, ...])


def page_from_row(row: Mapping[str, Any]) -> StatusPage:
    fields = dict(row)
    groups = _groups_decoder.decode(fields.pop("component_groups"))
    return StatusPage(**{**fields, "component_ids": tuple(row["component_ids"]), "groups": groups})


def _groups_json(groups: Sequence[ComponentGroup]) -> str:
    return msgspec.json.encode(groups).decode()


def _groups(
    component_ids: tuple[UUID, ...],
    requested: Sequence[GroupRequest],
    previous: Sequence[ComponentGroup] = (),
) -> tuple[ComponentGroup, ...]:
    """The page's groups as requested; a group keeps its id while it keeps its name, so that
    Statuspage clients keyed on `group_id` follow it through an edit."""
    check_groups(component_ids, requested)
    ids = {group.name.casefold(): group.id for group in previous}
    return tuple(
        ComponentGroup(id=ids.get(name.casefold()) or new_id(), name=name, component_ids=members)
        for name, members in requested
    )


async def check_components_exist(
    conn: asyncpg.Connection, organization_id: UUID, component_ids: tuple[UUID, ...], field: str
) -> None:
    """Refuse ids that are not components of this organization, naming the first one."""
    known = {
        row["id"]
        for row in await conn.fetch(
            "SELECT id FROM components WHERE organization_id = $1 AND id = ANY($2::uuid[])",
            organization_id,
            list(component_ids),
        )
    }
    refuse_unknown_components(component_ids, known, field)


def refuse_unknown_components(
    component_ids: tuple[UUID, ...], known: Set[UUID], field: str
) -> None:
    """Refuse ids not in `known` (the organization's components), naming the first one."""
    for index, component_id in enumerate(component_ids):
        if component_id not in known:
            raise DomainError(
                "unknown_component", "No component with this ID exists.", (field, index)
            )


async def create_component(
    conn: asyncpg.Connection, organization_id: UUID, name: str, description: str | None
) -> Component:
    row = await conn.fetchrow(
        "INSERT INTO components (id, organization_id, name, description) VALUES ($1, $2, $3, $4)"
        " RETURNING *",
        new_id(),
        organization_id,
        name,
        description,
    )
    return Component(**dict(row))


async def get_component(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, component_id: UUID
) -> Component | None:
    row = await conn.fetchrow(
        "SELECT * FROM components WHERE organization_id = $1 AND id = $2",
        organization_id,
        component_id,
    )
    return None if row is None else Component(**dict(row))


async def list_components(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, after: UUID | None, limit: int
) -> list[Component]:
    rows = await conn.fetch(
        "SELECT * FROM components WHERE organization_id = $1 AND ($2::uuid IS NULL OR id > $2)"
        " ORDER BY id LIMIT $3",
        organization_id,
        after,
        limit,
    )
    return [Component(**dict(row)) for row in rows]


async def create_status_page(
    conn: asyncpg.Connection,
    organization_id: UUID,
    *,
    name: str,
    slug: str,
    component_ids: tuple[UUID, ...],
    published: bool,
    groups: Sequence[GroupRequest] = (),
) -> StatusPage:
    await check_components_exist(conn, organization_id, component_ids, "component_ids")
    component_ids = tuple(dict.fromkeys(component_ids))
    try:
        row = await conn.fetchrow(
            "INSERT INTO status_pages"
            " (id, organization_id, name, slug, component_ids, published, component_groups)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *",
            new_id(),
            organization_id,
            name,
            slug,
            list(component_ids),
            published,
            _groups_json(_groups(component_ids, groups)),
        )
    except asyncpg.UniqueViolationError as error:
        raise _slug_taken() from error
    return page_from_row(row)


def _slug_taken() -> DomainError:
    return DomainError("slug_taken", "Another status page already uses this slug.", ("slug",))


async def get_status_page(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, page_id: UUID
) -> StatusPage | None:
    row = await conn.fetchrow(
        "SELECT * FROM status_pages WHERE organization_id = $1 AND id = $2",
        organization_id,
        page_id,
    )
    return None if row is None else page_from_row(row)


async def list_status_pages(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, after: UUID | None, limit: int
) -> list[StatusPage]:
    rows = await conn.fetch(
        "SELECT * FROM status_pages WHERE organization_id = $1 AND ($2::uuid IS NULL OR id > $2)"
        " ORDER BY id LIMIT $3",
        organization_id,
        after,
        limit,
    )
    return [page_from_row(row) for row in rows]


async def update_status_page(
    conn: asyncpg.Connection,
    page: StatusPage,
    *,
    name: str | None,
    slug: str | None,
    component_ids: tuple[UUID, ...] | None,
    published: bool | None,
    groups: Sequence[GroupRequest] | None = None,
) -> StatusPage:
    """Fields given as None stay as they are. Components the page no longer shows leave the
    groups it keeps."""
    if component_ids is not None:
        await check_components_exist(conn, page.organization_id, component_ids, "component_ids")
        component_ids = tuple(dict.fromkeys(component_ids))
    shown = page.component_ids if component_ids is None else component_ids
    kept = (
        keep_on_page(page.groups, shown)
        if groups is None
        else _groups(shown, groups, previous=page.groups)
    )
    try:
        row = await conn.fetchrow(
            "UPDATE status_pages SET name = $2, slug = $3, component_ids = $4, published = $5,"
            " component_groups = $6::jsonb, updated_at = now() WHERE id = $1 RETURNING *",
            page.id,
            page.name if name is None else name,
            page.slug if slug is None else slug,
            list(shown),
            page.published if published is None else published,
            _groups_json(kept),
        )
    except asyncpg.UniqueViolationError as error:
        raise _slug_taken() from error
    return page_from_row(row)


async def published_component_ids(
    conn: asyncpg.Connection, organization_id: UUID
) -> frozenset[UUID]:
    """Components shown on the organization's published status pages: its public surface."""
    rows = await conn.fetch(
        "SELECT DISTINCT unnest(component_ids) AS id FROM status_pages"
        " WHERE organization_id = $1 AND published",
        organization_id,
    )
    return frozenset(row["id"] for row in rows)
