"""v1 incidents and their updates.

Every write looks the incident up before reading the body, so the checks run in the documented
order: 401, 403 (guard), 404, then 422 and malformed JSON, then the rules in the core.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from app.api.auth import READ, WRITE
from app.api.body import decode_json
from app.api.errors import NotFound, RequestError, check_choice, parse_id
from app.api.idempotency import Render
from app.api.pagination import Version, listed, page_request
from app.api.post_update import UpdateRequest, post_update
from app.api.run import run_once
from app.api.v1.schemas import (
    AuditEntryOut,
    CreateIncident,
    EditIncidentIn,
    IncidentOut,
    PostUpdateIn,
    UpdateOut,
)
from app.domain.commands import EditIncident, OpenIncident, RedactUpdate
from app.domain.values import IncidentStatus
from app.ids import new_id
from app.store.api_keys import Principal
from app.store.audit import audit_trail
from app.store.incident_reads import (
    IncidentView,
    UpdateView,
    get_incident,
    get_update,
    list_incidents,
)
from app.store.incident_reads import list_updates as read_updates

STATUSES = get_args(IncidentStatus)


async def _find(request: Request, principal: Principal, incident_id: UUID) -> IncidentView:
    incident = await get_incident(request.app.state.pool, principal.organization_id, incident_id)
    if incident is None:
        raise NotFound("No incident with the given ID exists in your organization.")
    return incident


def _update_renderer(request: Request, principal: Principal) -> Render:
    async def render(update_id: UUID) -> dict[str, Any]:
        update = await get_update(request.app.state.pool, principal.organization_id, update_id)
        assert update is not None, "the update was written"
        return {"data": UpdateOut.of(update)}

    return render


class IncidentController(Controller):
    path = "/incidents"

    @post("/", opt=WRITE, status_code=201)
    async def open(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def build() -> OpenIncident:
            data = await decode_json(request, CreateIncident)
            return OpenIncident(
                incident_id=new_id(),
                organization_id=principal.organization_id,
                title=data.title,
                severity=data.severity,
                component_ids=tuple(data.component_ids),
                owner_schedule_id=data.owner_schedule_id,
                actor=principal.member,
                at=datetime.now(UTC),
            )

        return await run_once(request, principal, build, self._render(request, principal), 201)

    @staticmethod
    def _render(request: Request, principal: Principal) -> Render:
        async def render(incident_id: UUID) -> dict[str, Any]:
            return {"data": IncidentOut.of(await _find(request, principal, incident_id))}

        return render

    @patch("/{incident_id:str}", opt=WRITE)
    async def edit(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        incident_id: FromPath[str],
    ) -> Response:
        incident = await _find(request, principal, parse_id(incident_id, "incident"))

        async def build() -> EditIncident:
            data = await decode_json(request, EditIncidentIn)
            return EditIncident(
                incident_id=incident.id,
                title=data.title,
                severity=data.severity,
                component_ids=None if data.component_ids is None else tuple(data.component_ids),
                actor=principal.member,
                at=datetime.now(UTC),
            )

        return await run_once(request, principal, build, self._render(request, principal), 200)

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
        rows = await list_incidents(
            request.app.state.pool,
            principal.organization_id,
            status,
            page.last_seen,
            page.limit + 1,
        )
        return listed(rows, page, IncidentOut.of)

    @get("/{incident_id:str}", opt=READ)
    async def show(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        incident_id: FromPath[str],
    ) -> dict[str, Any]:
        return {
            "data": IncidentOut.of(
                await _find(request, principal, parse_id(incident_id, "incident"))
            )
        }

    @post("/{incident_id:str}/updates", opt=WRITE, status_code=201)
    async def post_update(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        incident_id: FromPath[str],
    ) -> Response:
        incident = parse_id(incident_id, "incident")

        async def parse() -> UpdateRequest:
            try:
                data = await decode_json(request, PostUpdateIn)
            except RequestError:
                # A missing incident is a 404 before a malformed body is a 422; the command
                # itself finds an incident missing, so only a bad body costs this read.
                await _find(request, principal, incident)
                raise
            return UpdateRequest(
                incident_id=incident,
                visibility=data.visibility,
                body=data.body,
                status_change=data.status_change,
                component_statuses=tuple(cs.to_domain() for cs in data.component_statuses),
                notify_subscribers=data.notify_subscribers,
            )

        async def show(update: UpdateView) -> dict[str, Any]:
            return {"data": UpdateOut.of(update)}

        return await post_update(request, principal, parse, show)

    @get("/{incident_id:str}/updates", opt=READ)
    async def list_updates(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        incident_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        incident = await _find(request, principal, parse_id(incident_id, "incident"))
        page = page_request(cursor, limit)
        rows = await read_updates(
            request.app.state.pool,
            principal.organization_id,
            incident.id,
            page.last_seen,
            page.limit + 1,
        )
        return listed(rows, page, UpdateOut.of)

    @post("/{incident_id:str}/updates/{update_id:str}/redact", opt=WRITE, status_code=200)
    async def redact(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        incident_id: FromPath[str],
        update_id: FromPath[str],
    ) -> Response:
        incident = await _find(request, principal, parse_id(incident_id, "incident"))
        command = RedactUpdate(
            incident_id=incident.id,
            update_id=parse_id(update_id, "update"),
            actor=principal.member,
            at=datetime.now(UTC),
        )

        async def build() -> RedactUpdate:
            return command

        return await run_once(request, principal, build, _update_renderer(request, principal), 200)

    @get("/{incident_id:str}/events", opt=READ)
    async def events(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        incident_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """The audit trail: every event of the incident, oldest first, from the log itself."""
        incident = await _find(request, principal, parse_id(incident_id, "incident"))
        page = page_request(cursor, limit, key=Version)
        rows = await audit_trail(
            request.app.state.pool, incident.id, page.last_seen, page.limit + 1
        )
        return listed(rows, page, AuditEntryOut.of, lambda row: row.version)
