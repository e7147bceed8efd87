"""Where each drop-in dialect posts, and the ids and headers it expects."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org

INCIDENTIO = "/v2/status_page_incident_updates"


@pytest.fixture
async def page_id(client: AsyncTestClient, org: Org) -> str:
    """The org fixture's published status page, which shows its payments component."""
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    return pages[0]["id"]


def uptimeio_url(incident: dict, page_id: str, *, project_id: str | None = None) -> str:
    project = incident["organizationId"] if project_id is None else project_id
    return f"/api/projects/{project}/status-pages/{page_id}/incidents/{incident['id']}/updates"


def api_key(headers: dict[str, str]) -> dict[str, str]:
    """The same key presented as uptimeio clients send it."""
    return {"X-API-Key": headers["Authorization"].removeprefix("Bearer ")}


async def v1_updates(client: AsyncTestClient, org: Org, incident: dict) -> list[dict]:
    response = await client.get(f"/v1/incidents/{incident['id']}/updates", headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def v1_incident(client: AsyncTestClient, org: Org, incident: dict) -> dict:
    response = await client.get(f"/v1/incidents/{incident['id']}", headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]
