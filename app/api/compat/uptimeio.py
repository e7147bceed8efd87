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
from app.api.compat.uptimeio_errors import EXCEPTION_HANDLERS, INCIDENT_NOT_FOUND
from app.api.errors import NotFound
from app.api.post_update import UpdateRequest, post_update
from app.domain.page_status import shows
from app.domain.values import IncidentStatus
from app.store.api_keys import Principal
from app.store.catalog import get_status_page
from app.store.incident_reads import IncidentView, UpdateView, get_incident


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


async def _shown_incident(
    request: Request, principal: Principal, project_id: str, page_id: str, incident_id: str
) -> IncidentView:
    pool, organization_id = request.app.state.pool, principal.organization_id
    if _uuid(project_id) != organization_id:
        raise NotFound("Project not found")
    page_uuid, incident_uuid = _uuid(page_id), _uuid(incident_id)
    page = None if page_uuid is None else await get_status_page(pool, organization_id, page_uuid)
    if page is None or not page.published:
        raise NotFound("Status page not found")
    incident = (
        None if incident_uuid is None else await get_incident(pool, organization_id, incident_uuid)
    )
    if incident is None or not shows(page.component_ids, incident.component_ids):
        raise NotFound(INCIDENT_NOT_FOUND)
    return incident


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
        incident = await _shown_incident(
            request, principal, project_id, status_page_id, incident_id
        )

        async def parse() -> UpdateRequest:
            data = await decode_json(request, AddUpdateIn)
            return UpdateRequest(
                incident_id=incident.id,
                visibility="public",
                body=data.message,
                status_change=data.status,
                same_status_is_no_change=True,
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
