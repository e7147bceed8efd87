"""Run one domain command as the calling member: every dialect's single way into the shell.

With an Idempotency-Key a command costs three round trips: the key's outcome looked up (or the
key locked for this connection), the snapshot read, and the command's writes stored with its
outcome in one statement that also lets go of the key. No BEGIN or COMMIT: the outcome's
primary key, not the lock, is what keeps a command from running twice (app/store/idempotency.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response

from app.api.idempotency import (
    IDEMPOTENCY_HEADER,
    Render,
    answer,
    fingerprint_of,
    idempotency_key,
    in_flight,
    refused,
)
from app.api.request_id import request_id_of
from app.domain.commands import Command, EditIncident, OpenIncident, PostUpdate, RedactUpdate
from app.domain.errors import DomainError
from app.domain.maintenance_commands import MaintenanceCommand
from app.handle import Handled, handle
from app.handle_maintenance import HandledMaintenance, handle_maintenance
from app.store.api_keys import Principal
from app.store.event_store import EventMetadata
from app.store.idempotency import (
    Keyed,
    KeyTaken,
    Outcome,
    claim_key,
    find_outcome,
    release_key,
    store_keyed,
)

Build = Callable[[], Awaitable[Command]]
# The answer to the request that ran the command, from what the command wrote.
Written = Callable[[Command, Handled], Awaitable[Any]]


def _metadata(request: Request, principal: Principal) -> EventMetadata:
    return EventMetadata(
        actor_id=principal.member.id,
        request_id=request_id_of(request.scope),
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
    )


def _count(request: Request, handled: Handled | HandledMaintenance) -> None:
    for item in handled.recorded:
        request.app.state.metrics.count_appended(type(item.event).__name__)


async def run_command(
    conn: asyncpg.Connection,
    request: Request,
    principal: Principal,
    command: Command,
    *,
    keyed: Keyed | None = None,
) -> Handled:
    metadata = _metadata(request, principal)
    handled = await handle(conn, command, principal.organization_id, metadata, keyed=keyed)
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


def resource_of(command: Command) -> UUID:
    """The id of what a command writes, as its answer shows it."""
    match command:
        case OpenIncident() | EditIncident():
            return command.incident_id
        case PostUpdate() | RedactUpdate():
            return command.update_id


async def run_once(
    request: Request,
    principal: Principal,
    build: Build,
    render: Render,
    status_code: int,
    *,
    written: Written | None = None,
) -> Response:
    """Run the command `build()` makes at most once per Idempotency-Key, then answer with
    `render(the id of what it wrote)`, or with `written` where it gives the same answer
    without reading it back. `build` runs once the key is claimed, so an invalid body stores
    nothing."""

    async def fresh(command: Command, handled: Handled) -> Response:
        if written is None:
            return Response(await render(resource_of(command)), status_code=status_code)
        return Response(await written(command, handled), status_code=status_code)

    key = idempotency_key(request)
    pool: asyncpg.Pool = request.app.state.write_pool
    if key is None:
        command = await build()
        async with pool.acquire() as conn:
            handled = await run_command(conn, request, principal, command)
        return await fresh(command, handled)
    fingerprint = await fingerprint_of(request)
    organization_id = principal.organization_id
    async with pool.acquire() as conn:
        claim = await claim_key(conn, organization_id, key)
        if claim.outcome is not None:
            return await answer(claim.outcome, fingerprint, render, replayed=True)
        if not claim.held:
            raise in_flight()
        refusal: DomainError | None = None
        try:
            command = await build()
            outcome = Outcome(
                fingerprint=fingerprint, status=status_code, resource_id=resource_of(command)
            )
            try:
                handled = await run_command(
                    conn,
                    request,
                    principal,
                    command,
                    keyed=Keyed(organization_id=organization_id, key=key, outcome=outcome),
                )
            except DomainError as error:
                outcome = refused(fingerprint, error)
                await store_keyed(
                    conn, Keyed(organization_id=organization_id, key=key, outcome=outcome)
                )
                refusal = error
        except KeyTaken:
            # Stored between this request's look-up and its lock: answer as a retry would.
            await release_key(conn, organization_id, key)
            stored = await find_outcome(conn, organization_id, key)
            assert stored is not None
            return await answer(stored, fingerprint, render, replayed=True)
        except BaseException:
            await release_key(conn, organization_id, key)
            raise
    if refusal is not None:
        raise refusal
    return await fresh(command, handled)
