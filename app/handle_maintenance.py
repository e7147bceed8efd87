"""The shell around a maintenance's decider: one command in two round trips, its writes atomic.

Read the maintenance's snapshot with the catalog facts its rules need, decide, then write the
events, update bodies and the projected row in one statement, as app/handle.py does for an
incident.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from app.domain.maintenance import Maintenance, evolve, fold
from app.domain.maintenance_commands import (
    EditMaintenance,
    MaintenanceCommand,
    PostMaintenanceUpdate,
    RedactMaintenanceUpdate,
    ScheduleMaintenance,
)
from app.domain.maintenance_decide import decide
from app.domain.maintenance_events import MaintenanceUpdatePosted, MaintenanceUpdateRedacted
from app.store.catalog import refuse_unknown_components
from app.store.event_store import ConcurrencyError, EventMetadata, RecordedEvent, read_stream
from app.store.maintenances import (
    LoadedMaintenance,
    MaintenanceSnapshot,
    commit_maintenance,
    load_maintenance,
    maintenance_row,
)


class HandledMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    maintenance: Maintenance
    version: int
    recorded: list[RecordedEvent]


def _component_ids(command: MaintenanceCommand) -> tuple[UUID, ...]:
    match command:
        case ScheduleMaintenance() | EditMaintenance() if command.component_ids is not None:
            return command.component_ids
    return ()


def _with_facts(command: MaintenanceCommand, loaded: LoadedMaintenance) -> MaintenanceCommand:
    if component_ids := _component_ids(command):
        refuse_unknown_components(component_ids, loaded.known_component_ids, "component_ids")
    if isinstance(command, PostMaintenanceUpdate) and command.visibility == "public":
        return msgspec.structs.replace(
            command, published_component_ids=loaded.published_component_ids
        )
    return command


async def _folded(conn: asyncpg.Connection, stream_id: UUID) -> MaintenanceSnapshot | None:
    history = await read_stream(conn, stream_id)
    maintenance = fold(item.event for item in history)  # type: ignore[misc]
    if maintenance is None:
        return None
    return MaintenanceSnapshot(version=history[-1].version, maintenance=maintenance)


async def handle_maintenance(
    conn: asyncpg.Connection,
    command: MaintenanceCommand,
    organization_id: UUID,
    metadata: EventMetadata,
) -> HandledMaintenance:
    """Run `command` for `organization_id`; raises DomainError and appends nothing on a rule.

    Outside a transaction it reads without a lock and writes in one statement that appends
    only after the version it read; should another writer (the clock, a member) have appended
    in between, it runs again locked inside a transaction, deciding on the stream as that
    writer left it.
    """
    if conn.is_in_transaction():
        return await _run(conn, command, organization_id, metadata, lock=True)
    try:
        return await _run(conn, command, organization_id, metadata, lock=False)
    except ConcurrencyError:
        async with conn.transaction():
            return await _run(conn, command, organization_id, metadata, lock=True)


async def _run(
    conn: asyncpg.Connection,
    command: MaintenanceCommand,
    organization_id: UUID,
    metadata: EventMetadata,
    *,
    lock: bool,
) -> HandledMaintenance:
    loaded = await load_maintenance(
        conn,
        command.maintenance_id,
        organization_id,
        lock=lock,
        published=isinstance(command, PostMaintenanceUpdate) and command.visibility == "public",
        component_ids=_component_ids(command),
    )
    snapshot = loaded.snapshot
    if loaded.stale:
        snapshot = await _folded(conn, command.maintenance_id)
    state = None if snapshot is None else snapshot.maintenance
    if state is not None and state.organization_id != organization_id:
        state = None  # another organization's maintenance does not exist for this caller
    events = decide(_with_facts(command, loaded), state)
    version = 0 if snapshot is None else snapshot.version
    if not events:
        assert state is not None
        return HandledMaintenance(maintenance=state, version=version, recorded=[])
    bodies, erased = [], []
    for event in events:
        state = evolve(state, event)
        match event:
            case MaintenanceUpdatePosted(has_body=True) if isinstance(
                command, PostMaintenanceUpdate
            ):
                bodies.append((event.update_id, command.body))
            case MaintenanceUpdateRedacted() if isinstance(command, RedactMaintenanceUpdate):
                erased.append(event.update_id)
    assert state is not None
    version += len(events)
    recorded = await commit_maintenance(
        conn,
        command.maintenance_id,
        version - len(events),
        events,
        metadata,
        bodies=bodies,
        erased=erased,
        row=maintenance_row(state, version),
    )
    return HandledMaintenance(maintenance=state, version=version, recorded=recorded)
