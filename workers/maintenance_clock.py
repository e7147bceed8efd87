"""The clock of scheduled maintenances: reminds of, starts and completes those that are due.

A cron job of every worker runs it four times a minute; each run moves everything due by then,
however long ago, so workers that were down catch up at their first tick. arq runs each
scheduled time once across workers; should two runs still meet (a slow one and the next), each
reminder, start and completion is a command on the maintenance's stream, decided on its current
version: the second finds nothing to do. A member starting or completing it by hand at the same
moment is ordered the same way."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from app.domain.errors import DomainError
from app.domain.maintenance_commands import (
    SYSTEM,
    CompleteMaintenance,
    MaintenanceCommand,
    RemindOfMaintenance,
    StartMaintenance,
)
from app.handle_maintenance import handle_maintenance
from app.store.event_store import EventMetadata
from app.store.maintenance_reads import due_to_complete, due_to_remind, due_to_start

log = logging.getLogger("herald.maintenance")

AT_ONCE = 100  # maintenances moved per query; a run goes on until none is due
Due = Callable[[asyncpg.Pool, datetime, int], Awaitable[list[tuple[UUID, UUID]]]]
_METADATA = EventMetadata(actor_id=SYSTEM.id, request_id="maintenance-clock")


async def move_due(pool: asyncpg.Pool, now: datetime) -> int:
    """Remind subscribers of every maintenance due a reminder at `now`, start every one due
    to start, then complete every one due to complete; returns how many were moved. `now` is
    the clock's: a test passes its own."""
    moved = 0
    steps: list[tuple[Due, Callable[[UUID], MaintenanceCommand]]] = [
        (due_to_remind, lambda mid: RemindOfMaintenance(maintenance_id=mid, actor=SYSTEM, at=now)),
        (
            due_to_start,
            lambda mid: StartMaintenance(maintenance_id=mid, automatic=True, actor=SYSTEM, at=now),
        ),
        (
            due_to_complete,
            lambda mid: CompleteMaintenance(
                maintenance_id=mid, automatic=True, actor=SYSTEM, at=now
            ),
        ),
    ]
    for due, command in steps:
        while batch := await due(pool, now, AT_ONCE):
            changed = 0
            for organization_id, maintenance_id in batch:
                order = command(maintenance_id)
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
