"""Every example request of the reference documents, replayed against the app with real ids.

The documents are incidentio-create-status-page-incident-update-openapi.txt and its companion
incidentio-create-status-page-incident-update.txt (the same one example),
uptimeio-add-incident-update.txt and, for v1, scaling-cloud-post-incident-update.txt. Each
documented response is compared with ours by status and by shape: the same keys holding values
of the same JSON types, timestamps in the same format. Only v1 may show more keys than its
example, the ones README documents. incident.io's 429 example waits for the rate limit.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.api.compat.conftest import INCIDENTIO, api_key, uptimeio_url
from tests.api.conftest import Org, event_count, open_incident
from tests.conftest import KeyMaker

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _kind(value: object) -> str:
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return "timestamp " + re.sub(r"\d", "9", value)  # the format, not the moment
    return type(value).__name__


def assert_same_shape(actual: Any, documented: Any, *, exact: bool = True, at: str = "$") -> None:
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{at}: {actual!r} is not an object"
        missing, extra = documented.keys() - actual.keys(), actual.keys() - documented.keys()
        assert not missing, f"{at}: missing {sorted(missing)}"
        assert not (exact and extra), f"{at}: undocumented {sorted(extra)}"
        for key, value in documented.items():
            assert_same_shape(actual[key], value, exact=exact, at=f"{at}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), f"{at}: {actual!r}"
        for index, (item, example) in enumerate(zip(actual, documented, strict=True)):
            assert_same_shape(item, example, exact=exact, at=f"{at}[{index}]")
    else:
        assert _kind(actual) == _kind(documented), f"{at}: {actual!r} vs {documented!r}"


def with_ids(document: Any, ids: dict[str, str]) -> Any:
    """The document with each documented id replaced by a real one."""
    if isinstance(document, dict):
        return {key: with_ids(value, ids) for key, value in document.items()}
    if isinstance(document, list):
        return [with_ids(item, ids) for item in document]
    return ids.get(document, document) if isinstance(document, str) else document


# incident.io ---------------------------------------------------------------------------------

INCIDENTIO_REQUEST = {
    "component_statuses": [
        {"component_id": "01FCNDV6P870EA6S7TK1DSYDG2", "component_status": "operational"}
    ],
    "incident_status": "investigating",
    "message": "The fix has been deployed and we are monitoring the situation. Some users may "
    "still experience intermittent issues.",
    "notify_subscribers": True,
    "status_page_incident_id": "01FCNDV6P870EA6S7TK1DSYDG1",
}
INCIDENTIO_201 = {
    "status_page_incident_update": {
        "component_statuses": [
            {"component_id": "01FCNDV6P870EA6S7TK1DSYDG2", "component_status": "operational"}
        ],
        "id": "01FCNDV6P870EA6S7TK1DSYDG0",
        "incident_status": "investigating",
        "message": "abc123",
        "published_at": "2021-08-17T13:28:57.801578Z",
        "status_page_incident_id": "01FCNDV6P870EA6S7TK1DSYDG1",
    }
}
INCIDENTIO_401 = {
    "type": "authentication_error",
    "status": 401,
    "request_id": "8e3cc412-b49d-4957-9073-2c19d2c61804",
    "errors": [
        {
            "code": "missing_authorization_material",
            "message": "No authorization material provided in request",
        }
    ],
}
INCIDENTIO_422 = {
    "type": "validation_error",
    "status": 422,
    "request_id": "631766c4-4afd-4803-997c-cd700928fa4b",
    "errors": [
        {
            "code": "is_required",
            "message": "A severity is required to open an incident",
            "source": {"field": "severity_id"},
        }
    ],
}


async def test_incidentio_example_request(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    ids = {"01FCNDV6P870EA6S7TK1DSYDG1": incident["id"], "01FCNDV6P870EA6S7TK1DSYDG2": org.payments}
    request = with_ids(INCIDENTIO_REQUEST, ids)
    response = await client.post(INCIDENTIO, json=request, headers=org.headers)
    assert response.status_code == 201, response.text
    assert_same_shape(response.json(), INCIDENTIO_201)
    update = response.json()["status_page_incident_update"]
    assert update["message"] == request["message"]
    assert update["component_statuses"] == request["component_statuses"]
    assert update["incident_status"] == "investigating"


async def test_incidentio_401_example(client: AsyncTestClient) -> None:
    response = await client.post(INCIDENTIO, json=INCIDENTIO_REQUEST)
    assert response.status_code == 401
    assert_same_shape(response.json(), INCIDENTIO_401)
    assert response.json()["errors"] == INCIDENTIO_401["errors"]


async def test_incidentio_422_example(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    request = {"status_page_incident_id": incident["id"], "notify_subscribers": True}
    response = await client.post(INCIDENTIO, json=request, headers=org.headers)
    assert response.status_code == 422
    assert_same_shape(response.json(), INCIDENTIO_422)
    [error] = response.json()["errors"]
    assert (error["code"], error["source"]) == ("is_required", {"field": "message"})


# uptimeio ------------------------------------------------------------------------------------

UPTIMEIO_PATH_IDS = (
    "660e8400-e29b-41d4-a716-446655440001",  # projectId
    "550e8400-e29b-41d4-a716-446655440000",  # statusPageId
    "990e8400-e29b-41d4-a716-446655440050",  # id
)
UPTIMEIO_REQUEST = {
    "message": "We have identified the root cause - a misconfigured load balancer. We are "
    "implementing a fix now.",
    "status": "identified",
}
UPTIMEIO_EXAMPLES = [  # "Examples", in the order the document lists them
    {
        "message": "We are actively investigating elevated response times on our API servers. "
        "Initial analysis suggests a database connectivity issue.",
        "status": "investigating",
    },
    {
        "message": "Root cause identified: misconfigured load balancer was routing traffic "
        "incorrectly. We are now deploying a fix.",
        "status": "identified",
    },
    {
        "message": "Fix has been deployed to production. We are monitoring system performance "
        "and user reports.",
        "status": "monitoring",
    },
    {
        "message": "Service fully restored. All API endpoints are responding normally and we are "
        "seeing baseline performance metrics.",
        "status": "resolved",
    },
]
UPTIMEIO_201 = {
    "success": True,
    "data": {
        "update": {
            "id": "aa0e8400-e29b-41d4-a716-446655440100",
            "incident_id": "990e8400-e29b-41d4-a716-446655440050",
            "message": "We have identified the root cause - a misconfigured load balancer. We are "
            "implementing a fix now.",
            "status": "identified",
            "created_at": "2024-12-26T12:15:00Z",
            "created_by": "user",
        }
    },
}


def uptimeio_error(code: str, message: str) -> dict:
    return {"success": False, "error": {"code": code, "message": message}}


async def _uptimeio_post(
    client: AsyncTestClient, incident: dict, page_id: str, body: object, headers: dict
):
    url = uptimeio_url(incident, page_id)
    assert UPTIMEIO_PATH_IDS[0] not in url  # the documented ids are replaced
    return await client.post(url, json=body, headers=api_key(headers))


async def test_uptimeio_request_example(client: AsyncTestClient, org: Org, page_id: str) -> None:
    incident = await open_incident(client, org)
    response = await _uptimeio_post(client, incident, page_id, UPTIMEIO_REQUEST, org.headers)
    assert response.status_code == 201, response.text
    assert_same_shape(response.json(), UPTIMEIO_201)
    update = response.json()["data"]["update"]
    assert (update["incident_id"], update["message"], update["status"]) == (
        incident["id"],
        UPTIMEIO_REQUEST["message"],
        "identified",
    )


async def test_uptimeio_examples_in_order(client: AsyncTestClient, org: Org, page_id: str) -> None:
    incident = await open_incident(client, org)
    for example in UPTIMEIO_EXAMPLES:
        response = await _uptimeio_post(client, incident, page_id, example, org.headers)
        assert response.status_code == 201, response.text
        expected = UPTIMEIO_201["data"]["update"] | example
        assert_same_shape(response.json(), UPTIMEIO_201 | {"data": {"update": expected}})
        assert response.json()["data"]["update"]["status"] == example["status"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"message": "", "status": "identified"},
            uptimeio_error(
                "VALIDATION_ERROR",
                "Validation failed: message: String must contain at least 1 character(s)",
            ),
            id="validation-error-missing-message",
        ),
        pytest.param(
            {"message": "Update", "status": "fixed"},
            uptimeio_error(
                "VALIDATION_ERROR",
                "Validation failed: status: Invalid enum value. Expected 'investigating' | "
                "'identified' | 'monitoring' | 'resolved'",
            ),
            id="invalid-status-value",
        ),
    ],
)
async def test_uptimeio_validation_examples(
    client: AsyncTestClient,
    org: Org,
    page_id: str,
    pool: asyncpg.Pool,
    body: dict,
    expected: dict,
) -> None:
    incident = await open_incident(client, org)
    before = await event_count(pool)
    response = await _uptimeio_post(client, incident, page_id, body, org.headers)
    assert (response.status_code, response.json()) == (400, expected)
    assert await event_count(pool) == before


async def test_uptimeio_not_found_example(client: AsyncTestClient, org: Org, page_id: str) -> None:
    incident = {**await open_incident(client, org), "id": str(uuid.uuid4())}
    response = await _uptimeio_post(client, incident, page_id, UPTIMEIO_REQUEST, org.headers)
    assert response.status_code == 404
    assert response.json() == uptimeio_error("NOT_FOUND", "Incident not found")


async def test_uptimeio_forbidden_example(
    client: AsyncTestClient, org: Org, page_id: str, make_key: KeyMaker
) -> None:
    incident = await open_incident(client, org)
    reader = await make_key(name="Reader", scopes=("read",))
    response = await _uptimeio_post(client, incident, page_id, UPTIMEIO_REQUEST, reader)
    assert response.status_code == 403
    assert response.json() == uptimeio_error(
        "FORBIDDEN", "You do not have permission to update this incident"
    )


# v1 (scaling-cloud) --------------------------------------------------------------------------

V1_REQUEST = {
    "body": "We have identified the cause as a misconfigured rate limit on the payment gateway. "
    "Working on a rollback now.",
    "statusChange": "identified",
    "visibility": "public",
}
V1_201 = {
    "data": {
        "id": "0193e1a2-3b4c-7890-abcd-ef1234567890",
        "incidentId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "body": V1_REQUEST["body"],
        "statusChange": "identified",
        "visibility": "public",
        "postedBy": {"id": "user_2b9a3d4e5f6g7h8j", "name": "Alice Chen"},
        "postedAt": "2025-04-07T09:14:00.000Z",
        "redactedAt": None,
        "redactedBy": None,
    }
}
V1_FLOW = [  # "End-to-end example"
    {
        "body": "We are investigating elevated error rates on the Payments API.",
        "visibility": "public",
    },
    {
        "body": "Rolled back deploy v3.14.2. Error rates back to baseline.",
        "statusChange": "resolved",
        "visibility": "public",
    },
]


async def test_v1_request_example(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates", json=V1_REQUEST, headers=org.headers
    )
    assert response.status_code == 201, response.text
    # v1 also shows componentStatuses and notifySubscribers, documented in README.
    assert_same_shape(response.json(), V1_201, exact=False)
    assert response.json()["data"]["body"] == V1_REQUEST["body"]
    assert response.json()["data"]["postedBy"]["name"] == "Alice Chen"


async def test_v1_end_to_end_example(client: AsyncTestClient, org: Org) -> None:
    create = with_ids(
        {
            "title": "Payments elevated error rate",
            "severity": "critical",
            "ownerScheduleId": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "componentIds": ["6ba7b810-9dad-11d1-80b4-00c04fd430c8"],
        },
        {"6ba7b810-9dad-11d1-80b4-00c04fd430c8": org.payments},
    )
    response = await client.post("/v1/incidents", json=create, headers=org.headers)
    assert response.status_code == 201, response.text
    assert_same_shape(response.json(), {"data": {"id": "INC_ID"}}, exact=False)
    url = f"/v1/incidents/{response.json()['data']['id']}/updates"
    for step in V1_FLOW:
        response = await client.post(url, json=step, headers=org.headers)
        assert response.status_code == 201, response.text
        expected = V1_201["data"] | {"statusChange": None} | step  # statusChange is nullable
        assert_same_shape(response.json(), {"data": expected}, exact=False)


# The document lists status and code only; the envelope around them is README's.
V1_ERROR = {"error": {"code": "not_found", "message": "...", "requestId": "req_1"}}
NOTE = {"visibility": "internal", "body": "x"}
PUBLIC_NOTE = {"visibility": "public", "body": "x"}
PUBLIC_MOVE = {"visibility": "public", "statusChange": "monitoring"}
BACK_TO_IDENTIFIED = {"visibility": "internal", "statusChange": "identified"}


@pytest.mark.parametrize(
    ("status", "code", "situation", "body"),
    [  # "Error responses", the document's table, each one provoked
        (400, "body_required_for_public", "open", PUBLIC_MOVE),
        (400, "no_public_surface", "on no page", PUBLIC_NOTE),
        (400, "incident_resolved", "resolved", NOTE),
        (400, "invalid_status_transition", "monitoring", BACK_TO_IDENTIFIED),
        (400, "update_must_carry_body_or_status_change", "open", {"visibility": "internal"}),
        (401, "not_authorized", "no key", NOTE),
        (404, "not_found", "unknown incident", NOTE),
        (422, "validation_error", "open", {"visibility": "everyone", "body": "x"}),
        (422, "validation_error", "open", {"visibility": "public", "body": "x" * 10_001}),
    ],
)
async def test_v1_error_table(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    status: int,
    code: str,
    situation: str,
    body: dict,
) -> None:
    components = [org.search] if situation == "on no page" else None
    incident = await open_incident(client, org, components=components)
    if situation in ("resolved", "monitoring"):
        moved = {"visibility": "internal", "statusChange": situation}
        url = f"/v1/incidents/{incident['id']}/updates"
        assert (await client.post(url, json=moved, headers=org.headers)).status_code == 201
    incident_id = str(uuid.uuid4()) if situation == "unknown incident" else incident["id"]
    headers = {} if situation == "no key" else org.headers
    before = await event_count(pool)
    response = await client.post(f"/v1/incidents/{incident_id}/updates", json=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    fields = {"fields": [{"field": "f", "message": "m"}]} if status == 422 else {}
    assert_same_shape(response.json(), {"error": V1_ERROR["error"] | fields})
    assert await event_count(pool) == before
