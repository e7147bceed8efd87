"""Run one domain command as the calling member: every dialect's single way into app.handle."""

from __future__ import annotations

import asyncpg
from litestar import Request

from app.api.idempotency import IDEMPOTENCY_HEADER
from app.api.request_id import request_id_of
from app.domain.commands import Command
from app.handle import Handled, handle
from app.store.api_keys import Principal
from app.store.event_store import EventMetadata


async def run_command(
    conn: asyncpg.Connection, request: Request, principal: Principal, command: Command
) -> Handled:
    metadata = EventMetadata(
        actor_id=principal.member.id,
        request_id=request_id_of(request.scope),
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
    )
    handled = await handle(conn, command, principal.organization_id, metadata)
    for item in handled.recorded:
        request.app.state.metrics.events.labels(type(item.event).__name__).inc()
    return handled
