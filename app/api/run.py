"""Run one domain command as the calling member: every dialect's single way into the shell."""

from __future__ import annotations

import asyncpg
from litestar import Request

from app.api.idempotency import IDEMPOTENCY_HEADER
from app.api.request_id import request_id_of
from app.domain.commands import Command
from app.domain.maintenance_commands import MaintenanceCommand
from app.handle import Handled, handle
from app.handle_maintenance import HandledMaintenance, handle_maintenance
from app.store.api_keys import Principal
from app.store.event_store import EventMetadata


def _metadata(request: Request, principal: Principal) -> EventMetadata:
    return EventMetadata(
        actor_id=principal.member.id,
        request_id=request_id_of(request.scope),
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
    )


def _count(request: Request, handled: Handled | HandledMaintenance) -> None:
    for item in handled.recorded:
        request.app.state.metrics.events.labels(type(item.event).__name__).inc()


async def run_command(
    conn: asyncpg.Connection, request: Request, principal: Principal, command: Command
) -> Handled:
    handled = await handle(conn, command, principal.organization_id, _metadata(request, principal))
    _count(request, handled)
    return handled


async def run_maintenance_command(
    conn: asyncpg.Connection,
    request: Request,
    principal: Principal,
    command: MaintenanceCommand,
) -> HandledMaintenance:
    handled = await handle_maintenance(
        conn, command, principal.organization_id, _metadata(request, principal)
    )
    _count(request, handled)
    return handled
