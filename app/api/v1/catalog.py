"""v1 components and status pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from app.api.auth import READ, WRITE
from app.api.body import decode_json
from app.api.errors import NotFound, parse_id
from app.api.idempotency import Render, write_once
from app.api.pagination import listed, page_request
from app.api.v1.schemas import (
    ComponentOut,
    CreateComponent,
    CreateStatusPage,
    EditStatusPage,
    StatusPageOut,
)
from app.domain.catalog import Component, StatusPage
from app.store import catalog
from app.store.api_keys import Principal


async def _status_page(request: Request, principal: Principal, page_id: UUID) -> StatusPage:
    page = await catalog.get_status_page(request.app.state.pool, principal.organization_id, page_id)
    if page is None:
        raise NotFound("No status page with the given ID exists in your organization.")
    return page


async def find_status_page(request: Request, principal: Principal, page_id: str) -> StatusPage:
    return await _status_page(request, principal, parse_id(page_id, "status page"))


def _page_renderer(request: Request, principal: Principal) -> Render:
    async def render(page_id: UUID) -> dict[str, Any]:
        return {"data": StatusPageOut.of(await _status_page(request, principal, page_id))}

    return render


async def find_component(request: Request, principal: Principal, component_id: UUID) -> Component:
    component = await catalog.get_component(
        request.app.state.pool, principal.organization_id, component_id
    )
    if component is None:
        raise NotFound("No component with the given ID exists in your organization.")
    return component


class ComponentController(Controller):
    path = "/components"

    @post("/", opt=WRITE, status_code=201)
    async def create(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def work(conn: asyncpg.Connection) -> UUID:
            data = await decode_json(request, CreateComponent)
            component = await catalog.create_component(
                conn, principal.organization_id, data.name, data.description
            )
            return component.id

        async def render(component_id: UUID) -> dict[str, Any]:
            return {"data": ComponentOut.of(await find_component(request, principal, component_id))}

        return await write_once(request, principal, work, render, 201)

    @get("/", opt=READ)
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        page = page_request(cursor, limit)
        rows = await catalog.list_components(
            request.app.state.pool, principal.organization_id, page.last_seen, page.limit + 1
        )
        return listed(rows, page, ComponentOut.of)

    @get("/{component_id:str}", opt=READ)
    async def show(
        self, request: Request, principal: NamedDependency[Principal], component_id: FromPath[str]
    ) -> dict[str, Any]:
        component_uuid = parse_id(component_id, "component")
        return {"data": ComponentOut.of(await find_component(request, principal, component_uuid))}


class StatusPageController(Controller):
    path = "/status-pages"

    @post("/", opt=WRITE, status_code=201)
    async def create(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def work(conn: asyncpg.Connection) -> UUID:
            data = await decode_json(request, CreateStatusPage)
            page = await catalog.create_status_page(
                conn,
                principal.organization_id,
                name=data.name,
                slug=data.slug,
                component_ids=tuple(data.component_ids),
                published=data.published,
                groups=[group.to_domain() for group in data.groups],
            )
            return page.id

        return await write_once(request, principal, work, _page_renderer(request, principal), 201)

    @get("/", opt=READ)
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        page = page_request(cursor, limit)
        rows = await catalog.list_status_pages(
            request.app.state.pool, principal.organization_id, page.last_seen, page.limit + 1
        )
        return listed(rows, page, StatusPageOut.of)

    @get("/{page_id:str}", opt=READ)
    async def show(
        self, request: Request, principal: NamedDependency[Principal], page_id: FromPath[str]
    ) -> dict[str, Any]:
        return {"data": StatusPageOut.of(await find_status_page(request, principal, page_id))}

    @patch("/{page_id:str}", opt=WRITE)
    async def edit(
        self, request: Request, principal: NamedDependency[Principal], page_id: FromPath[str]
    ) -> Response:
        page = await find_status_page(request, principal, page_id)

        async def work(conn: asyncpg.Connection) -> UUID:
            data = await decode_json(request, EditStatusPage)
            await catalog.update_status_page(
                conn,
                page,
                name=data.name,
                slug=data.slug,
                component_ids=None if data.component_ids is None else tuple(data.component_ids),
                published=data.published,
                groups=None if data.groups is None else [g.to_domain() for g in data.groups],
            )
            return page.id

        return await write_once(request, principal, work, _page_renderer(request, principal), 200)
