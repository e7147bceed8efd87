"""The uptimeio dialect: its path, its limits, and its errors worded exactly as documented."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.api.compat.conftest import api_key, uptimeio_url, v1_incident, v1_updates
from tests.api.conftest import Org, event_count, open_incident
from tests.conftest import KeyMaker

IDENTIFIED = "We have identified the root cause - a misconfigured load balancer."
STATUS_ENUM = "'investigating' | 'identified' | 'monitoring' | 'resolved'"


def failure(code: str, message: str) -> dict:
    return {"success": False, "error": {"code": code, "message": message}}


def invalid(issues: str) -> dict:
    return failure("VALIDATION_ERROR", f"Validation failed: {issues}")


async def test_an_update_is_added_and_answered_in_the_dialects_shape(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        uptimeio_url(incident, page_id),
        json={"message": IDENTIFIED, "status": "identified"},
        headers=api_key(org.headers),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    update = body["data"]["update"]
    [posted] = await v1_updates(client, org, incident)
    assert update == {
        "id": posted["id"],
        "incident_id": incident["id"],
        "message": IDENTIFIED,
        "status": "identified",
        "created_at": update["created_at"],
        "created_by": posted["postedBy"]["id"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", update["created_at"])
    assert posted["visibility"] == "public"
    assert posted["statusChange"] == "identified"
    assert (await v1_incident(client, org, incident))["status"] == "identified"


async def test_bearer_keys_work_too(client: AsyncTestClient, org: Org, page_id: str) -> None:
    incident = await open_incident(client, org)
    body = {"message": IDENTIFIED, "status": "identified"}
    response = await client.post(uptimeio_url(incident, page_id), json=body, headers=org.headers)
    assert response.status_code == 201


async def test_the_current_status_again_is_a_plain_update(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org)
    body = {"message": "Still investigating.", "status": "investigating"}
    response = await client.post(uptimeio_url(incident, page_id), json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["update"]["status"] == "investigating"
    [posted] = await v1_updates(client, org, incident)
    assert posted["statusChange"] is None
    assert posted["body"] == "Still investigating."


async def test_resolving_sets_every_component_operational(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org, components=[org.payments, org.search])
    await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={
            "visibility": "internal",
            "body": "Both down.",
            "componentStatuses": [{"componentId": org.payments, "status": "full_outage"}],
        },
        headers=org.headers,
    )
    body = {"message": "Service fully restored.", "status": "resolved"}
    response = await client.post(uptimeio_url(incident, page_id), json=body, headers=org.headers)
    assert response.status_code == 201
    shown = await v1_incident(client, org, incident)
    assert shown["status"] == "resolved"
    assert {cs["status"] for cs in shown["componentStatuses"]} == {"operational"}


@pytest.mark.parametrize("length", [1, 5000])
async def test_messages_at_the_length_limits_are_accepted(
    client: AsyncTestClient, org: Org, page_id: str, length: int
) -> None:
    incident = await open_incident(client, org)
    body = {"message": "x" * length, "status": "investigating"}
    response = await client.post(uptimeio_url(incident, page_id), json=body, headers=org.headers)
    assert response.status_code == 201
    assert len(response.json()["data"]["update"]["message"]) == length


# (status the incident is moved to first, request body, the exact error body)
REFUSALS = [
    pytest.param(
        None,
        {"message": "", "status": "identified"},
        invalid("message: String must contain at least 1 character(s)"),
        id="empty-message-as-documented",
    ),
    pytest.param(
        None,
        {"message": IDENTIFIED, "status": "fixed"},
        invalid(f"status: Invalid enum value. Expected {STATUS_ENUM}"),
        id="unknown-status-as-documented",
    ),
    pytest.param(
        None,
        {"message": "x" * 5001, "status": "identified"},
        invalid("message: String must contain at most 5000 character(s)"),
        id="message-5001",
    ),
    pytest.param(None, {"message": IDENTIFIED}, invalid("status: Required"), id="status-missing"),
    pytest.param(None, {"status": "identified"}, invalid("message: Required"), id="msg-missing"),
    pytest.param(None, {}, invalid("message: Required, status: Required"), id="everything-missing"),
    pytest.param(
        None,
        {"message": 7, "status": "identified"},
        invalid("message: Expected string, received number"),
        id="message-not-a-string",
    ),
    pytest.param(None, [], invalid("Expected object, received array"), id="not-an-object"),
    pytest.param(
        None,
        {"message": "  \n", "status": "identified"},
        invalid("message: String must contain at least 1 non-whitespace character(s)"),
        id="whitespace-message",
    ),
    pytest.param(
        "monitoring",
        {"message": IDENTIFIED, "status": "identified"},
        invalid(
            "status: The incident is monitoring; it can only move forward "
            "(investigating -> identified -> monitoring -> resolved), not to identified."
        ),
        id="backward-status",
    ),
    pytest.param(
        "resolved",
        {"message": "One more thing.", "status": "resolved"},
        invalid("Incident is already resolved and accepts no further updates"),
        id="resolved-incident",
    ),
]


@pytest.mark.parametrize(("moved_to", "body", "expected"), REFUSALS)
async def test_validation_errors_are_400_worded_like_zod_and_change_nothing(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    page_id: str,
    moved_to: str | None,
    body: object,
    expected: dict,
) -> None:
    incident = await open_incident(client, org)
    if moved_to:
        moved = {"visibility": "internal", "statusChange": moved_to}
        url = f"/v1/incidents/{incident['id']}/updates"
        assert (await client.post(url, json=moved, headers=org.headers)).status_code == 201
    before = await event_count(pool)
    response = await client.post(uptimeio_url(incident, page_id), json=body, headers=org.headers)
    assert (response.status_code, response.json()) == (400, expected)
    assert await event_count(pool) == before


async def test_malformed_json_is_a_validation_error(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        uptimeio_url(incident, page_id),
        content=b'{"message": ',
        headers={**org.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "API key is required"), ({"X-API-Key": "hrld_not-a-real-key"}, "Invalid API key")],
)
async def test_a_missing_or_wrong_key_is_401_unauthorized(
    client: AsyncTestClient, org: Org, page_id: str, headers: dict, message: str
) -> None:
    incident = await open_incident(client, org)
    body = {"message": IDENTIFIED, "status": "identified"}
    response = await client.post(uptimeio_url(incident, page_id), json=body, headers=headers)
    assert (response.status_code, response.json()) == (401, failure("UNAUTHORIZED", message))


async def test_a_key_without_write_scope_is_403_as_documented(
    client: AsyncTestClient, org: Org, page_id: str, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    reader = api_key(await make_key(name="Reader", scopes=("read",)))
    before = await event_count(pool)
    response = await client.post(
        uptimeio_url(incident, page_id), json={"message": "x", "status": "nope"}, headers=reader
    )
    assert response.status_code == 403
    assert response.json() == failure(
        "FORBIDDEN", "You do not have permission to update this incident"
    )
    assert await event_count(pool) == before


async def _globex_page(client: AsyncTestClient, make_key: KeyMaker) -> tuple[dict, dict]:
    """Another organization with a published page of its own: its headers and the page."""
    globex = await make_key(org="globex", name="Hank Scorpio")
    component = await client.post("/v1/components", json={"name": "Rockets"}, headers=globex)
    page = await client.post(
        "/v1/status-pages",
        json={
            "name": "Globex",
            "slug": "globex",
            "componentIds": [component.json()["data"]["id"]],
            "published": True,
        },
        headers=globex,
    )
    return globex, page.json()["data"]


async def test_not_found_cases_are_404_and_change_nothing(
    client: AsyncTestClient, org: Org, page_id: str, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    elsewhere = await open_incident(client, org, components=[org.search])
    globex, globex_page = await _globex_page(client, make_key)
    hidden = await client.post(
        "/v1/status-pages",
        json={"name": "Draft", "slug": "draft", "componentIds": [org.payments]},
        headers=org.headers,
    )
    draft_page = hidden.json()["data"]["id"]
    unknown = {**incident, "id": str(uuid.uuid4())}

    cases = [
        (
            uptimeio_url(incident, page_id, project_id=globex_page["organizationId"]),
            "Project not found",
        ),
        (uptimeio_url(incident, page_id, project_id="not-a-uuid"), "Project not found"),
        (uptimeio_url(incident, globex_page["id"]), "Status page not found"),
        (uptimeio_url(incident, draft_page), "Status page not found"),
        (uptimeio_url(incident, str(uuid.uuid4())), "Status page not found"),
        (uptimeio_url(incident, "not-a-uuid"), "Status page not found"),
        (uptimeio_url(elsewhere, page_id), "Incident not found"),
        (uptimeio_url(unknown, page_id), "Incident not found"),
        (uptimeio_url({**incident, "id": "42"}, page_id), "Incident not found"),
    ]
    before = await event_count(pool)
    for url, message in cases:
        response = await client.post(
            url, json={"message": IDENTIFIED, "status": "identified"}, headers=org.headers
        )
        assert (response.status_code, response.json()) == (404, failure("NOT_FOUND", message)), url
    # Globex's key cannot reach Acme's incident through Acme's project either.
    response = await client.post(
        uptimeio_url(incident, page_id),
        json={"message": "x", "status": "identified"},
        headers=globex,
    )
    assert response.status_code == 404
    assert await event_count(pool) == before


async def test_not_found_comes_before_validation(
    client: AsyncTestClient, org: Org, page_id: str
) -> None:
    incident = await open_incident(client, org)
    unknown = {**incident, "id": str(uuid.uuid4())}
    response = await client.post(uptimeio_url(unknown, page_id), json={}, headers=org.headers)
    assert response.status_code == 404


async def test_an_unexpected_failure_is_500_with_the_request_id_logged(
    client: AsyncTestClient,
    org: Org,
    page_id: str,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    incident = await open_incident(client, org)
    await pool.execute("ALTER TABLE incident_updates RENAME TO incident_updates_gone")
    before = await event_count(pool)
    response = await client.post(
        uptimeio_url(incident, page_id),
        json={"message": IDENTIFIED, "status": "identified"},
        headers=org.headers,
    )
    assert response.status_code == 500
    assert response.json() == failure("INTERNAL_ERROR", "An unexpected error occurred")
    logged = [r.getMessage() for r in caplog.records if r.name == "herald.api"]
    assert any(response.headers["x-request-id"] in line for line in logged)
    assert await event_count(pool) == before
