"""The shell around the decider: one command in two round trips, its writes atomic.

Read the incident's snapshot with the facts the rules need from the catalog, decide, then write
the events, update bodies and projections (the new snapshot among them) in one statement.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from app.domain.commands import (
    Command,
    EditIncident,
    OpenIncident,
    PostUpdate,
    RedactUpdate,
    ThroughPage,
)
from app.domain.decide import check_through_page, decide
from app.domain.events import UpdatePosted, UpdateRedacted
from app.domain.incident import Incident, evolve, fold, update_standing
from app.domain.timeline import PublicView, public_view
from app.domain.values import UpdateStanding
from app.store.catalog import refuse_unknown_components
from app.store.commit import commit
from app.store.event_store import ConcurrencyError, EventMetadata, RecordedEvent, read_stream
from app.store.idempotency import Keyed, store_keyed
from app.store.projections import rows_after
from app.store.snapshot import Loaded, Snapshot, load


class Handled(msgspec.Struct, frozen=True, kw_only=True):
    incident: Incident
    version: int
    recorded: list[RecordedEvent]


def _with_facts(command: Command, loaded: Loaded, standing: UpdateStanding) -> Command:
    """Check catalog references and fill in the facts a rule needs from outside the state."""
    match command:
        case OpenIncident() | EditIncident() if command.component_ids is not None:
            refuse_unknown_components(
                command.component_ids, loaded.known_component_ids, "component_ids"
            )
        case PostUpdate():
            page = command.through_page
            if page is not None:
                page = msgspec.structs.replace(page, component_ids=loaded.page_component_ids)
            return msgspec.structs.replace(
                command, published_component_ids=loaded.published_component_ids, through_page=page
            )
        case RedactUpdate():
            return msgspec.structs.replace(command, standing=standing)
    return command


async def _load(
    conn: asyncpg.Connection, command: Command, organization_id: UUID, *, lock: bool
) -> Loaded:
    match command:
        case OpenIncident() | EditIncident() if command.component_ids is not None:
            component_ids = command.component_ids
        case _:
            component_ids = ()
    published = isinstance(command, PostUpdate) and command.visibility == "public"
    return await load(
        conn,
        command.incident_id,
        organization_id,
        lock=lock,
        published=published,
        component_ids=component_ids,
        update_id=command.update_id if isinstance(command, RedactUpdate) else None,
        page_id=(
            command.through_page.page_id
            if isinstance(command, PostUpdate) and command.through_page is not None
            else None
        ),
    )


async def _folded(
    conn: asyncpg.Connection, incident_id: UUID, redacting: UUID | None = None
) -> tuple[Snapshot | None, UpdateStanding]:
    """The snapshot of a stream as its events leave it, for a snapshot found stale, and where
    the update `redacting` stands in those events."""
    history = await read_stream(conn, incident_id)
    events = [item.event for item in history]
    incident = fold(events)
    standing: UpdateStanding = "absent"
    if redacting is not None:
        standing = update_standing(events, redacting)
    if incident is None:
        return None, standing
    snapshot = Snapshot(version=history[-1].version, incident=incident, view=public_view(events))
    return snapshot, standing


def _own(snapshot: Snapshot | None, organization_id: UUID) -> Incident | None:
    """The incident, unless it is none or another organization's: that does not exist for the
    caller."""
    if snapshot is None or snapshot.incident.organization_id != organization_id:
        return None
    return snapshot.incident


async def refuse_unshown(
    conn: asyncpg.Connection, incident_id: UUID, organization_id: UUID, page: ThroughPage
) -> None:
    """Raise the DomainError a PostUpdate of `incident_id` through `page` would meet, if the
    page does not show the incident: for a request refused before it became a command, which
    answers a missing incident before a malformed body."""
    loaded = await load(conn, incident_id, organization_id, lock=False, page_id=page.page_id)
    snapshot = loaded.snapshot
    if loaded.stale:
        snapshot, _ = await _folded(conn, incident_id)
    page = msgspec.structs.replace(page, component_ids=loaded.page_component_ids)
    check_through_page(page, _own(snapshot, organization_id))


async def handle(
    conn: asyncpg.Connection,
    command: Command,
    organization_id: UUID,
    metadata: EventMetadata,
    *,
    keyed: Keyed | None = None,
) -> Handled:
    """Run `command` for `organization_id`; raises DomainError and appends nothing on a rule.
    With `keyed`, stores that outcome under its claimed key with the command's writes and lets
    go of the key (raises KeyTaken, keeping nothing, if another outcome got there first).

    Outside a transaction it reads without a lock and writes in one statement that appends only
    after the version it read: two round trips, no BEGIN or COMMIT. Should another writer have
    appended in between, it runs again the way it does inside a caller's transaction, where it
    locks the incident before reading and so queues behind other writers. There it adds no
    savepoint: every rule is decided before the first write, so a DomainError leaves nothing of
    this command to roll back.
    """
    if conn.is_in_transaction():
        return await _run(conn, command, organization_id, metadata, keyed, lock=True)
    try:
        return await _run(conn, command, organization_id, metadata, keyed, lock=False)
    except ConcurrencyError:
        async with conn.transaction():
            return await _run(conn, command, organization_id, metadata, keyed, lock=True)


async def _run(
    conn: asyncpg.Connection,
    command: Command,
    organization_id: UUID,
    metadata: EventMetadata,
    keyed: Keyed | None,
    *,
    lock: bool,
) -> Handled:
    loaded = await _load(conn, command, organization_id, lock=lock)
    if loaded.waited and isinstance(command, RedactUpdate):
        # Where the update stands was read before the writer ahead committed; the lock is ours
        # now, so a second read is current.
        loaded = await _load(conn, command, organization_id, lock=lock)
    snapshot, standing = loaded.snapshot, loaded.standing
    if loaded.stale:
        redacting = command.update_id if isinstance(command, RedactUpdate) else None
        snapshot, standing = await _folded(conn, command.incident_id, redacting)
    state = _own(snapshot, organization_id)
    events = decide(_with_facts(command, loaded, standing), state)
    version = 0 if snapshot is None else snapshot.version
    if not events:
        assert state is not None
        if keyed is not None:
            await store_keyed(conn, keyed)
        return Handled(incident=state, version=version, recorded=[])
    bodies, erased = [], []
    for event in events:
        state = evolve(state, event)
        match event:
            case UpdatePosted(has_body=True) if isinstance(command, PostUpdate):
                bodies.append((event.update_id, command.body))
            case UpdateRedacted() if isinstance(command, RedactUpdate):
                erased.append(event.update_id)
    assert state is not None
    before = PublicView() if snapshot is None else snapshot.view
    rows, _ = rows_after(before, state, version + len(events), events)
    recorded = await commit(
        conn,
        command.incident_id,
        version,
        events,
        metadata,
        bodies=bodies,
        erased=erased,
        rows=rows,
        keyed=keyed,
    )
    return Handled(incident=state, version=version + len(events), recorded=recorded)
