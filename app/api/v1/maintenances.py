"""v1 scheduled maintenances and their updates.

Every write looks the maintenance up before reading the body, so the checks run in the
documented order: 401, 403 (guard), 404, then 422 and malformed JSON, then the rules in the
core. Time comes from the application's clock (`app.state.clock`), which a test may drive.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, get_args
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from app.api.auth import READ, WRITE
from app.api.body import decode_json
from app.api.errors import NotFound, check_choice, parse_id
from app.api.idempotency import Render, write_once
from app.api.pagination import listed, next_cursor, page_request
from app.api.run import run_maintenance_command
from app.api.v1.maintenance_schemas import (
    EditMaintenanceIn,
    MaintenanceOut,
    MaintenanceUpdateOut,
    PostMaintenanceUpdateIn,
    ScheduleMaintenanceIn,
    refuse_far_moments,
)
from app.domain.maintenance import Maintenance
from app.domain.maintenance_commands import (
    CancelMaintenance,
    CompleteMaintenance,
    EditMaintenance,
    MaintenanceCommand,
    PostMaintenanceUpdate,
    RedactMaintenanceUpdate,
    ScheduleMaintenance,
    StartMaintenance,
)
from app.domain.maintenance_events import MaintenanceStatus
from app.ids import new_id
from app.store.api_keys import Principal
from app.store.maintenance_reads import get_maintenance, list_maintenances, update_bodies

STATUSES = get_args(MaintenanceStatus)


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def _find(request: Request, principal: Principal, maintenance_id: UUID) -> Maintenance:
    maintenance = await get_maintenance(
        request.app.state.pool, principal.organization_id, maintenance_id
    )
    if maintenance is None:
        raise NotFound("No maintenance with the given ID exists in your organization.")
    return maintenance


def _render(request: Request, principal: Principal) -> Render:
    async def render(maintenance_id: UUID) -> dict[str, Any]:
        return {"data": MaintenanceOut.of(await _find(request, principal, maintenance_id))}

    return render


def _render_update(request: Request, principal: Principal, maintenance_id: UUID) -> Render:
    async def render(update_id: UUID) -> dict[str, Any]:
        maintenance = await _find(request, principal, maintenance_id)
        update = maintenance.update(update_id)
        assert update is not None, "the update was written"
        bodies = await update_bodies(request.app.state.pool, [update_id])
        return {"data": MaintenanceUpdateOut.of(maintenance, update, bodies.get(update_id))}

    return render


class MaintenanceController(Controller):
    path = "/maintenances"

    async def _run(
        self,
        request: Request,
        principal: Principal,
        command: Callable[[], Any],
        render: Render,
        status_code: int = 200,
    ) -> Response:
        """Build the command inside the write (its body read there), run it once per
        Idempotency-Key, and answer with `render` of the id `command()` names."""

        async def work(conn: asyncpg.Connection) -> UUID:
            built: MaintenanceCommand = await command()
            await run_maintenance_command(conn, request, principal, built)
            if isinstance(built, PostMaintenanceUpdate | RedactMaintenanceUpdate):
                return built.update_id
            return built.maintenance_id

        return await write_once(request, principal, work, render, status_code)

    @post("/", opt=WRITE, status_code=201)
    async def schedule(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def command() -> ScheduleMaintenance:
            data = await decode_json(request, ScheduleMaintenanceIn)
            refuse_far_moments(data)
            return ScheduleMaintenance(
                maintenance_id=new_id(),
                organization_id=principal.organization_id,
                title=data.title,
                description=data.description,
                component_ids=tuple(data.component_ids),
                scheduled_for=data.scheduled_for,
                scheduled_until=data.scheduled_until,
                auto_start=data.auto_start,
                auto_complete=data.auto_complete,
                reminder_minutes=data.reminder_minutes,
                actor=principal.member,
                at=_now(request),
            )

        return await self._run(request, principal, command, _render(request, principal), 201)

    @patch("/{maintenance_id:str}", opt=WRITE)
    async def edit(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
    ) -> Response:
        found = await _find(request, principal, parse_id(maintenance_id, "maintenance"))

        async def command() -> EditMaintenance:
            data = await decode_json(request, EditMaintenanceIn)
            refuse_far_moments(data)
            return EditMaintenance(
                maintenance_id=found.id,
                title=data.title,
                description=data.description,
                component_ids=None if data.component_ids is None else tuple(data.component_ids),
                scheduled_for=data.scheduled_for,
                scheduled_until=data.scheduled_until,
                auto_start=data.auto_start,
                auto_complete=data.auto_complete,
                actor=principal.member,
                at=_now(request),
            )

        return await self._run(request, principal, command, _render(request, principal))

    async def _move(
        self,
        request: Request,
        principal: Principal,
        maintenance_id: str,
        kind: type[StartMaintenance | CompleteMaintenance | CancelMaintenance],
    ) -> Response:
        found = await _find(request, principal, parse_id(maintenance_id, "maintenance"))

        async def command() -> MaintenanceCommand:
            return kind(maintenance_id=found.id, actor=principal.member, at=_now(request))

        return await self._run(request, principal, command, _render(request, principal))

    @post("/{maintenance_id:str}/start", opt=WRITE, status_code=200)
    async def start(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
    ) -> Response:
        return await self._move(request, principal, maintenance_id, StartMaintenance)

    @post("/{maintenance_id:str}/complete", opt=WRITE, status_code=200)
    async def complete(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
    ) -> Response:
        return await self._move(request, principal, maintenance_id, CompleteMaintenance)

    @post("/{maintenance_id:str}/cancel", opt=WRITE, status_code=200)
    async def cancel(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
    ) -> Response:
        return await self._move(request, principal, maintenance_id, CancelMaintenance)

    @get("/", opt=READ)
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        status: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        check_choice(status, "status", STATUSES)
        page = page_request(cursor, limit)
        rows = await list_maintenances(
            request.app.state.pool,
            principal.organization_id,
            status,  # type: ignore[arg-type]
            page.last_seen,  # type: ignore[arg-type]
            page.limit + 1,
        )
        return listed(rows, page, MaintenanceOut.of)

    @get("/{maintenance_id:str}", opt=READ)
    async def show(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
    ) -> dict[str, Any]:
        found = await _find(request, principal, parse_id(maintenance_id, "maintenance"))
        return {"data": MaintenanceOut.of(found)}

    @post("/{maintenance_id:str}/updates", opt=WRITE, status_code=201)
    async def post_update(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
    ) -> Response:
        found = await _find(request, principal, parse_id(maintenance_id, "maintenance"))

        async def command() -> PostMaintenanceUpdate:
            data = await decode_json(request, PostMaintenanceUpdateIn)
            return PostMaintenanceUpdate(
                maintenance_id=found.id,
                update_id=new_id(),
                visibility=data.visibility,
                body=data.body,
                status_change=data.status_change,
                notify_subscribers=data.notify_subscribers,
                actor=principal.member,
                at=_now(request),
            )

        render = _render_update(request, principal, found.id)
        return await self._run(request, principal, command, render, 201)

    @get("/{maintenance_id:str}/updates", opt=READ)
    async def list_updates(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """Oldest first, internal updates included: the team's own view."""
        found = await _find(request, principal, parse_id(maintenance_id, "maintenance"))
        page = page_request(cursor, limit)
        updates = [u for u in found.updates if page.last_seen is None or u.id > page.last_seen]
        shown = updates[: page.limit]
        bodies = await update_bodies(request.app.state.pool, [u.id for u in shown])
        return {
            "data": [MaintenanceUpdateOut.of(found, u, bodies.get(u.id)) for u in shown],
            "nextCursor": next_cursor(updates, page.limit, lambda u: u.id),
        }

    @post("/{maintenance_id:str}/updates/{update_id:str}/redact", opt=WRITE, status_code=200)
    async def redact(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        maintenance_id: FromPath[str],
        update_id: FromPath[str],
    ) -> Response:
        found = await _find(request, principal, parse_id(maintenance_id, "maintenance"))
        redacted = parse_id(update_id, "update")

        async def command() -> RedactMaintenanceUpdate:
            return RedactMaintenanceUpdate(
                maintenance_id=found.id,
                update_id=redacted,
                actor=principal.member,
                at=_now(request),
            )

        return await self._run(
            request, principal, command, _render_update(request, principal, found.id)
        )
