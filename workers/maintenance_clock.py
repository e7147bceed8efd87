"""The clock of scheduled maintenances: starts and completes those whose window says so.

A cron job of every worker runs it a few times a minute and once at start, so a worker that was
down catches up on what fell due meanwhile. arq runs each scheduled time once across workers;
should two runs still meet (a slow one and the next), each start and completion is a command
on the maintenance's stream, decided on its current version: the second finds nothing to do.
A member starting or completing it by hand at the same moment is ordered the same way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from app.domain.errors import DomainError
from app.domain.maintenance_commands import SYSTEM, CompleteMaintenance, StartMaintenance
from app.handle_maintenance import handle_maintenance
from app.store.event_store import EventMetadata
from app.store.maintenance_reads import due_to_complete, due_to_start

log = logging.getLogger("herald.maintenance")

AT_ONCE = 100  # maintenances moved per query; a run goes on until none is due
_METADATA = EventMetadata(actor_id=SYSTEM.id, request_id="maintenance-clock")


async def move_due(pool: asyncpg.Pool, now: datetime) -> int:
    """Start every maintenance due to start at `now`, then complete every one due to
    complete; returns how many were moved. `now` is the clock's: a test passes its own."""
    moved = 0
    for due, command in (
        (due_to_start, StartMaintenance),
        (due_to_complete, CompleteMaintenance),
    ):
        while batch := await due(pool, now, AT_ONCE):
            changed = 0
            for organization_id, maintenance_id in batch:
                order = command(maintenance_id=maintenance_id, automatic=True, actor=SYSTEM, at=now)
                try:
                    async with pool.acquire() as conn:
                        handled = await handle_maintenance(conn, order, organization_id, _METADATA)
                except DomainError as error:
                    # Cancelled or completed by a member since the query: nothing to do.
                    log.info("maintenance %s not moved: %s", maintenance_id, error.message)
                    continue
                changed += bool(handled.recorded)
            moved += changed
            if len(batch) < AT_ONCE or not changed:
                break
    if moved:
        log.info("moved %d scheduled maintenances", moved)
    return moved


async def tick_maintenances(ctx: dict[str, Any]) -> int:
    """The cron job: `move_due` at the present moment."""
    return await move_due(ctx["herald"].pool, datetime.now(UTC))
