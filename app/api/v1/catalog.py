"""v1 components and status pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from app.api.body import decode_body
from app.api.errors import NotFound
from app.api.pagination import next_cursor, page_request
from app.api.v1.schemas import (
    ComponentOut,
    CreateComponent,
    CreateStatusPage,
    EditStatusPage,
    StatusPageOut,
)
from app.store import catalog
from app.store.api_keys import Principal

READ = {"scope": "read"}
WRITE = {"scope": "incidents:write"}


def parse_id(raw: str, what: str) -> UUID:
    """Path ids that are not UUIDs name nothing that exists: 404, like an unknown one."""
    try:
        return UUID(raw)
    except ValueError as error:
        raise NotFound(f"No {what} with the given ID exists in your organization.") from error


class ComponentController(Controller):
    path = "/components"

    @post("/", opt=WRITE, status_code=201)
    async def create(
        self, request: Request, principal: NamedDependency[Principal]
    ) -> dict[str, Any]:
        data = decode_body(await request.body(), CreateComponent)
        async with request.app.state.pool.acquire() as conn:
            component = await catalog.create_component(
                conn, principal.organization_id, data.name, data.description
            )
        return {"data": ComponentOut.of(component)}

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
        return {
            "data": [ComponentOut.of(row) for row in rows[: page.limit]],
            "nextCursor": next_cursor(rows, page.limit, lambda row: row.id),
        }

    @get("/{component_id:str}", opt=READ)
    async def show(
        self, request: Request, principal: NamedDependency[Principal], component_id: FromPath[str]
    ) -> dict:
        component = await catalog.get_component(
            request.app.state.pool, principal.organization_id, parse_id(component_id, "component")
        )
        if component is None:
            raise NotFound("No component with the given ID exists in your organization.")
        return {"data": ComponentOut.of(component)}


class StatusPageController(Controller):
    path = "/status-pages"

    @post("/", opt=WRITE, status_code=201)
    async def create(
        self, request: Request, principal: NamedDependency[Principal]
    ) -> dict[str, Any]:
        data = decode_body(await request.body(), CreateStatusPage)
        async with request.app.state.pool.acquire() as conn:
            page = await catalog.create_status_page(
                conn,
                principal.organization_id,
                name=data.name,
                slug=data.slug,
                component_ids=tuple(data.component_ids),
                published=data.published,
            )
        return {"data": StatusPageOut.of(page)}

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
        return {
            "data": [StatusPageOut.of(row) for row in rows[: page.limit]],
            "nextCursor": next_cursor(rows, page.limit, lambda row: row.id),
        }

    async def _find(
        self, request: Request, principal: NamedDependency[Principal], page_id: FromPath[str]
    ):
        page = await catalog.get_status_page(
            request.app.state.pool, principal.organization_id, parse_id(page_id, "status page")
        )
        if page is None:
            raise NotFound("No status page with the given ID exists in your organization.")
        return page

    @get("/{page_id:str}", opt=READ)
    async def show(
        self, request: Request, principal: NamedDependency[Principal], page_id: FromPath[str]
    ) -> dict[str, Any]:
        return {"data": StatusPageOut.of(await self._find(request, principal, page_id))}

    @patch("/{page_id:str}", opt=WRITE)
    async def edit(
        self, request: Request, principal: NamedDependency[Principal], page_id: FromPath[str]
    ) -> dict[str, Any]:
        page = await self._find(request, principal, page_id)
        data = decode_body(await request.body(), EditStatusPage)
        async with request.app.state.pool.acquire() as conn:
            page = await catalog.update_status_page(
                conn,
                page,
                name=data.name,
                slug=data.slug,
                component_ids=None if data.component_ids is None else tuple(data.component_ids),
                published=data.published,
            )
        return {"data": StatusPageOut.of(page)}
