"""uptimeio's POST /api/projects/{projectId}/status-pages/{statusPageId}/incidents/{id}/updates.

The project is the caller's organization. The page must be that project's, published, and show
the incident (share a component with it); otherwise there is nothing to update: 404. An update
through this dialect is public and always names a status; the current one again means no change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, Router, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from app.api.auth import WRITE
from app.api.body import decode_json
from app.api.compat import dialect_router
from app.api.compat.uptimeio_errors import (
    EXCEPTION_HANDLERS,
    INCIDENT_NOT_FOUND,
    PAGE_NOT_FOUND,
)
from app.api.errors import NotFound, RequestError
from app.api.post_update import UpdateRequest, post_update
from app.domain.commands import ThroughPage
from app.domain.values import IncidentStatus
from app.handle import refuse_unshown
from app.store.api_keys import Principal
from app.store.incident_reads import UpdateView


class AddUpdateIn(msgspec.Struct, frozen=True, kw_only=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    status: IncidentStatus


class UpdateOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    incident_id: UUID
    message: str
    status: IncidentStatus
    created_at: str
    created_by: UUID


def _uuid(raw: str) -> UUID | None:
    """An id that is not a UUID names nothing here, so it is looked up as absent."""
    try:
        return UUID(raw)
    except ValueError:
        return None


def _timestamp(moment: datetime) -> str:
    """UTC to the second, as the dialect shows `created_at`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IncidentUpdates(Controller):
    path = (
        "/projects/{project_id:str}/status-pages/{status_page_id:str}"
        "/incidents/{incident_id:str}/updates"
    )

    @post("/", opt=WRITE, status_code=201)
    async def add(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        project_id: FromPath[str],
        status_page_id: FromPath[str],
        incident_id: FromPath[str],
    ) -> Response:
        # The page and the incident are looked up by the command, in its one read.
        if _uuid(project_id) != principal.organization_id:
            raise NotFound("Project not found")
        page_id = _uuid(status_page_id)
        if page_id is None:
            raise NotFound(PAGE_NOT_FOUND)
        incident = _uuid(incident_id)
        if incident is None:
            raise NotFound(INCIDENT_NOT_FOUND)

        async def parse() -> UpdateRequest:
            try:
                data = await decode_json(request, AddUpdateIn)
            except RequestError:
                # A page or incident not found is a 404 before a malformed body is a 400.
                async with request.app.state.pool.acquire() as conn:
                    await refuse_unshown(
                        conn, incident, principal.organization_id, ThroughPage(page_id=page_id)
                    )
                raise
            return UpdateRequest(
                incident_id=incident,
                visibility="public",
                body=data.message,
                status_change=data.status,
                same_status_is_no_change=True,
                through_page=ThroughPage(page_id=page_id),
            )

        async def show(update: UpdateView) -> dict[str, Any]:
            out = UpdateOut(
                id=update.id,
                incident_id=update.incident_id,
                message=update.body or "",  # empty once redacted
                status=update.status,
                created_at=_timestamp(update.posted_at),
                created_by=update.posted_by.id,
            )
            return {"success": True, "data": {"update": out}}

        return await post_update(request, principal, parse, show)


def router() -> Router:
    return dialect_router("/api", [IncidentUpdates], EXCEPTION_HANDLERS)
