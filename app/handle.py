"""The shell around the decider: one command, one transaction.

Lock the stream, fold its events, gather the facts the rules need, decide, append, then keep
update bodies and projections in step, all before the transaction commits.
"""

from __future__ import annotations

from contextlib import nullcontext
from uuid import UUID

import asyncpg
import msgspec

from app.domain.commands import Command, EditIncident, OpenIncident, PostUpdate, RedactUpdate
from app.domain.decide import decide
from app.domain.events import UpdatePosted, UpdateRedacted
from app.domain.incident import Incident, evolve, fold
from app.store.bodies import erase_body, save_body
from app.store.catalog import check_components_exist, published_component_ids
from app.store.event_store import EventMetadata, RecordedEvent, append, lock_stream, read_stream
from app.store.projections import project


class Handled(msgspec.Struct, frozen=True, kw_only=True):
    incident: Incident
    version: int
    recorded: list[RecordedEvent]


async def _with_facts(conn: asyncpg.Connection, command: Command, organization_id: UUID) -> Command:
    """Check catalog references and fill in the facts a rule needs from outside the stream."""
    match command:
        case OpenIncident() | EditIncident() if command.component_ids is not None:
            await check_components_exist(
                conn, organization_id, command.component_ids, "component_ids"
            )
        case PostUpdate(visibility="public"):
            published = await published_component_ids(conn, organization_id)
            return msgspec.structs.replace(command, published_component_ids=published)
    return command


async def handle(
    conn: asyncpg.Connection,
    command: Command,
    organization_id: UUID,
    metadata: EventMetadata,
) -> Handled:
    """Run `command` for `organization_id`; raises DomainError and appends nothing on a rule.

    Inside a caller's transaction it adds no savepoint: every rule is decided before the first
    write, so a DomainError leaves nothing of this command to roll back.
    """
    async with nullcontext() if conn.is_in_transaction() else conn.transaction():
        await lock_stream(conn, command.incident_id)
        history = await read_stream(conn, command.incident_id)
        state = fold(item.event for item in history)
        if state is not None and state.organization_id != organization_id:
            state = None  # another organization's incident does not exist for this caller
        command = await _with_facts(conn, command, organization_id)
        events = decide(command, state)
        version = history[-1].version if history else 0
        recorded = await append(conn, command.incident_id, version, events, metadata)
        for item in recorded:
            state = evolve(state, item.event)
            match item.event:
                case UpdatePosted(has_body=True) if isinstance(command, PostUpdate):
                    await save_body(conn, command.incident_id, item.event.update_id, command.body)
                case UpdateRedacted() if isinstance(command, RedactUpdate):
                    await erase_body(conn, item.event.update_id)
        assert state is not None
        version += len(recorded)
        if recorded:
            stream = [item.event for item in (*history, *recorded)]
            await project(conn, state, version, stream, [item.event for item in recorded])
        return Handled(incident=state, version=version, recorded=recorded)
