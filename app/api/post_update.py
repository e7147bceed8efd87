"""Posting an update, the same for every dialect: each only parses its request and renders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response

from app.api.run import run_once
from app.domain.commands import Command, PostUpdate, ThroughPage
from app.domain.events import UpdatePosted
from app.domain.incident import Incident
from app.domain.values import ComponentStatus, IncidentStatus, Visibility
from app.handle import Handled
from app.ids import new_id
from app.store.api_keys import Principal
from app.store.incident_reads import UpdateView, get_update, posted_update


class UpdateRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An update as a dialect's request asks for it; the id, the actor and the time are added
    here. The fields mean what they mean on PostUpdate."""

    incident_id: UUID
    visibility: Visibility
    body: str | None = None
    status_change: IncidentStatus | None = None
    component_statuses: tuple[ComponentStatus, ...] = ()
    notify_subscribers: bool = True
    same_status_is_no_change: bool = False
    max_updates: int | None = None
    through_page: ThroughPage | None = None


Parse = Callable[[], Awaitable[UpdateRequest]]
Show = Callable[[UpdateView], Awaitable[Any]]
# The answer to the request that posted the update, from the incident as the command left it:
# for a dialect whose answer shows more of the incident than the update, without reading it.
ShowPosted = Callable[[UpdateView, Incident], Any]


async def post_update(
    request: Request,
    principal: Principal,
    parse: Parse,
    show: Show,
    show_posted: ShowPosted | None = None,
) -> Response:
    """Post what `parse()` reads from the request as the calling member, once per
    Idempotency-Key, and answer 201 with `show(the update as it is now)`, or, for the request
    that posted it, `show_posted(the update, the incident)` where given.

    `parse` runs inside the write, after the dialect's own lookups, so a missing incident is
    a 404 before a malformed body is a 422.
    """

    async def build() -> PostUpdate:
        wanted = await parse()
        return PostUpdate(
            **msgspec.structs.asdict(wanted),
            update_id=new_id(),
            actor=principal.member,
            at=datetime.now(UTC),
        )

    async def render(update_id: UUID) -> Any:
        update = await get_update(request.app.state.pool, principal.organization_id, update_id)
        assert update is not None, "the update was written"
        return await show(update)

    async def written(command: Command, handled: Handled) -> Any:
        assert isinstance(command, PostUpdate)
        [posted] = [e.event for e in handled.recorded if isinstance(e.event, UpdatePosted)]
        status = handled.incident.status  # its StatusChanged, if any, came in the same command
        update = posted_update(command.incident_id, posted, command.body, status)
        if show_posted is not None:
            return show_posted(update, handled.incident)
        return await show(update)

    return await run_once(request, principal, build, render, 201, written=written)
