"""The incident.io dialect: its payload and limits, and every refusal in its own envelope."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.api.compat.conftest import INCIDENTIO, v1_incident, v1_updates
from tests.api.conftest import Org, event_count, open_incident
from tests.conftest import KeyMaker

FIXED = "The fix has been deployed and we are monitoring the situation."
V1_NAMES = ("statusChange", "componentStatuses", "body")


def payload(incident: dict, **changes: object) -> dict:
    base = {"status_page_incident_id": incident["id"], "message": FIXED, "notify_subscribers": True}
    return base | changes


def impact(component_id: str, status: str) -> dict[str, str]:
    return {"component_id": component_id, "component_status": status}


async def move(client: AsyncTestClient, org: Org, incident: dict, status: str) -> None:
    body = {"visibility": "internal", "statusChange": status}
    url = f"/v1/incidents/{incident['id']}/updates"
    assert (await client.post(url, json=body, headers=org.headers)).status_code == 201


def assert_envelope(response, status: int, kind: str) -> list[dict]:
    body = response.json()
    assert response.status_code == status, response.text
    assert set(body) == {"type", "status", "request_id", "errors"}
    assert (body["type"], body["status"]) == (kind, status)
    assert body["request_id"] == response.headers["x-request-id"]
    return body["errors"]


async def test_an_update_is_published_and_answered_in_the_dialects_shape(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        INCIDENTIO,
        json=payload(
            incident,
            incident_status="identified",
            component_statuses=[impact(org.payments, "partial_outage")],
        ),
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    update = response.json()["status_page_incident_update"]
    assert update["status_page_incident_id"] == incident["id"]
    assert update["message"] == FIXED
    assert update["incident_status"] == "identified"
    assert update["component_statuses"] == [impact(org.payments, "partial_outage")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", update["published_at"])
    [posted] = await v1_updates(client, org, incident)
    assert posted["id"] == update["id"]
    assert posted["visibility"] == "public"
    assert posted["statusChange"] == "identified"


async def test_without_incident_status_the_status_stays(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    response = await client.post(INCIDENTIO, json=payload(incident), headers=org.headers)
    assert response.status_code == 201
    assert response.json()["status_page_incident_update"]["incident_status"] == "investigating"
    assert response.json()["status_page_incident_update"]["component_statuses"] == []
    [posted] = await v1_updates(client, org, incident)
    assert posted["statusChange"] is None


async def test_null_optional_fields_mean_not_given(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    body = payload(incident, incident_status=None, component_statuses=None)
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    assert response.json()["status_page_incident_update"]["incident_status"] == "investigating"


async def test_unknown_fields_are_ignored(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    body = payload(incident, added_in_a_later_version={"x": 1})
    assert (await client.post(INCIDENTIO, json=body, headers=org.headers)).status_code == 201


async def test_the_current_status_again_posts_the_message_and_changes_nothing(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    for _ in range(2):
        response = await client.post(
            INCIDENTIO, json=payload(incident, incident_status="identified"), headers=org.headers
        )
        assert response.status_code == 201, response.text
        assert response.json()["status_page_incident_update"]["incident_status"] == "identified"
    updates = await v1_updates(client, org, incident)
    assert [u["statusChange"] for u in updates] == ["identified", None]
    assert [u["body"] for u in updates] == [FIXED, FIXED]
    moves = await pool.fetchval("SELECT count(*) FROM events WHERE type = 'StatusChanged'")
    assert moves == 1


async def test_resolving_ends_the_incident_and_sets_every_component_operational(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org, components=[org.payments, org.search])
    outage = [impact(org.payments, "full_outage"), impact(org.search, "degraded_performance")]
    body = payload(incident, component_statuses=outage)
    assert (await client.post(INCIDENTIO, json=body, headers=org.headers)).status_code == 201

    body = payload(incident, message="Resolved.", incident_status="resolved")
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    update = response.json()["status_page_incident_update"]
    assert update["incident_status"] == "resolved"
    operational = [impact(org.payments, "operational"), impact(org.search, "operational")]
    assert update["component_statuses"] == operational
    shown = await v1_incident(client, org, incident)
    assert shown["status"] == "resolved"
    assert shown["resolvedAt"] is not None
    assert {cs["status"] for cs in shown["componentStatuses"]} == {"operational"}


async def test_notify_subscribers_is_kept_on_the_update(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    body = payload(incident, notify_subscribers=False)
    assert (await client.post(INCIDENTIO, json=body, headers=org.headers)).status_code == 201
    [posted] = await v1_updates(client, org, incident)
    assert posted["notifySubscribers"] is False


async def test_a_message_of_exactly_4096_characters_is_accepted(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    body = payload(incident, message="x" * 4096)
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    assert response.status_code == 201
    assert len(response.json()["status_page_incident_update"]["message"]) == 4096


# (status the incident is moved to first, payload changes given the org, field blamed, code)
RULES = [
    pytest.param(
        "identified",
        lambda org: {"incident_status": "investigating"},
        "incident_status",
        "invalid_status_transition",
        id="backward-status",
    ),
    pytest.param(
        "resolved",
        lambda org: {},
        "status_page_incident_id",
        "incident_resolved",
        id="resolved-incident",
    ),
    pytest.param(
        "resolved",
        lambda org: {"incident_status": "resolved"},
        "status_page_incident_id",
        "incident_resolved",
        id="resolved-again",
    ),
    pytest.param(
        None,
        lambda org: {
            "incident_status": "resolved",
            "component_statuses": [impact(org.payments, "operational")],
        },
        "component_statuses",
        "component_statuses_on_resolve",
        id="component-statuses-on-resolve",
    ),
    pytest.param(None, lambda org: {"message": ""}, "message", "is_required", id="empty-message"),
    pytest.param(
        None,
        lambda org: {"message": " \n\t", "incident_status": "identified"},
        "message",
        "is_required",
        id="whitespace-message",
    ),
    pytest.param(
        None,
        lambda org: {"component_statuses": [impact(org.search, "full_outage")]},
        "component_statuses[0].component_id",
        "component_not_affected",
        id="component-not-affected",
    ),
    pytest.param(
        None,
        lambda org: {
            "component_statuses": [
                impact(org.payments, "full_outage"),
                impact(org.payments, "operational"),
            ]
        },
        "component_statuses[1].component_id",
        "duplicate_component",
        id="duplicate-component",
    ),
]


@pytest.mark.parametrize(("moved_to", "changes", "field", "code"), RULES)
async def test_every_rule_is_a_422_validation_error_naming_the_field_and_changing_nothing(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    moved_to: str | None,
    changes: Callable[[Org], dict],
    field: str,
    code: str,
) -> None:
    incident = await open_incident(client, org)
    if moved_to:
        await move(client, org, incident, moved_to)
    before = await event_count(pool)
    body = payload(incident, **changes(org))
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    [error] = assert_envelope(response, 422, "validation_error")
    assert (error["code"], error["source"]) == (code, {"field": field})
    # The message speaks this dialect: none of v1's field names.
    assert error["message"] and not any(name in error["message"] for name in V1_NAMES)
    assert await event_count(pool) == before


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        pytest.param(
            {"status_page_incident_id": None, "message": None, "notify_subscribers": None},
            {
                ("status_page_incident_id", "is_required"),
                ("message", "is_required"),
                ("notify_subscribers", "is_required"),
            },
            id="all-required-missing",
        ),
        pytest.param({"message": "x" * 4097}, {("message", "is_invalid")}, id="message-4097"),
        pytest.param({"message": 42}, {("message", "is_invalid")}, id="message-not-a-string"),
        pytest.param(
            {"notify_subscribers": "yes"}, {("notify_subscribers", "is_invalid")}, id="not-a-bool"
        ),
        pytest.param(
            {"incident_status": "fixed"}, {("incident_status", "is_invalid")}, id="unknown-status"
        ),
        pytest.param(
            {"component_statuses": [{"component_id": "x", "component_status": "operational"}]},
            {("component_statuses[0].component_id", "is_invalid")},
            id="component-id-not-a-uuid",
        ),
        pytest.param(
            {
                "component_statuses": [
                    {"component_id": str(uuid.uuid4()), "component_status": "down"}
                ]
            },
            {("component_statuses[0].component_status", "is_invalid")},
            id="unknown-component-status",
        ),
        pytest.param(
            {"component_statuses": [{"component_id": str(uuid.uuid4())}]},
            {("component_statuses[0].component_status", "is_required")},
            id="component-status-missing",
        ),
    ],
)
async def test_schema_errors_name_each_field_with_a_code(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    changes: dict,
    errors: set[tuple[str, str]],
) -> None:
    incident = await open_incident(client, org)
    body = {k: v for k, v in payload(incident, **changes).items() if v is not None}
    before = await event_count(pool)
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    items = assert_envelope(response, 422, "validation_error")
    assert {(item["source"]["field"], item["code"]) for item in items} == errors
    assert all(item["message"] for item in items)
    assert await event_count(pool) == before


async def test_malformed_json_is_400_in_the_dialects_envelope(
    client: AsyncTestClient, org: Org
) -> None:
    response = await client.post(
        INCIDENTIO,
        content=b'{"message": ',
        headers={**org.headers, "Content-Type": "application/json"},
    )
    [error] = assert_envelope(response, 400, "bad_request")
    assert error["code"] == "invalid_json"


async def test_no_key_is_401_missing_authorization_material(client: AsyncTestClient) -> None:
    response = await client.post(INCIDENTIO, json={})
    assert assert_envelope(response, 401, "authentication_error") == [
        {
            "code": "missing_authorization_material",
            "message": "No authorization material provided in request",
        }
    ]


async def test_a_wrong_key_is_401_authentication_error(
    client: AsyncTestClient, make_key: KeyMaker
) -> None:
    await make_key()
    headers = {"Authorization": "Bearer hrld_not-a-real-key"}
    response = await client.post(INCIDENTIO, json={}, headers=headers)
    [error] = assert_envelope(response, 401, "authentication_error")
    assert error["code"] == "invalid_authorization_material"


async def test_a_key_without_the_publishing_scope_is_403_and_writes_nothing(
    client: AsyncTestClient, org: Org, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    reader = await make_key(name="Reader", scopes=("read",))
    before = await event_count(pool)
    for request in ({"json": payload(incident)}, {"content": b"{not json"}):
        response = await client.post(INCIDENTIO, headers=reader, **request)
        [error] = assert_envelope(response, 403, "authorization_error")
        assert "incidents:write" in error["message"]
    assert await event_count(pool) == before


@pytest.mark.parametrize(
    "incident_id", [str(uuid.uuid4()), "01FCNDV6P870EA6S7TK1DSYDG1"], ids=["uuid", "ulid"]
)
async def test_an_unknown_status_page_incident_is_404(
    client: AsyncTestClient, org: Org, incident_id: str
) -> None:
    body = {"status_page_incident_id": incident_id, "message": FIXED, "notify_subscribers": True}
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    [error] = assert_envelope(response, 404, "not_found")
    assert error["code"] == "not_found"


async def test_another_organizations_incident_is_404(
    client: AsyncTestClient, org: Org, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    globex = await make_key(org="globex", name="Hank Scorpio")
    before = await event_count(pool)
    response = await client.post(INCIDENTIO, json=payload(incident), headers=globex)
    assert_envelope(response, 404, "not_found")
    assert "Payments" not in response.text
    assert await event_count(pool) == before


async def test_an_incident_on_no_published_page_is_a_validation_error(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org, components=[org.search])
    before = await event_count(pool)
    response = await client.post(INCIDENTIO, json=payload(incident), headers=org.headers)
    [error] = assert_envelope(response, 422, "validation_error")
    assert error["code"] == "no_public_surface"
    assert error["source"] == {"field": "status_page_incident_id"}
    assert "published status page" in error["message"]
    assert await event_count(pool) == before


async def test_the_payload_is_checked_before_the_incident_is_looked_up(
    client: AsyncTestClient, org: Org
) -> None:
    """The incident's id travels in the payload, so a malformed payload is 422 whatever it names."""
    body = {"status_page_incident_id": str(uuid.uuid4()), "notify_subscribers": True}
    response = await client.post(INCIDENTIO, json=body, headers=org.headers)
    assert response.status_code == 422


async def test_an_unexpected_failure_is_500_internal_error_with_the_request_id_logged(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    incident = await open_incident(client, org)
    await pool.execute("ALTER TABLE incident_updates RENAME TO incident_updates_gone")
    before = await event_count(pool)
    response = await client.post(INCIDENTIO, json=payload(incident), headers=org.headers)
    [error] = assert_envelope(response, 500, "internal_error")
    assert error["code"] == "internal_error"
    assert "incident_updates" not in response.text
    logged = [r.getMessage() for r in caplog.records if r.name == "herald.api"]
    assert any(response.json()["request_id"] in line for line in logged)
    assert await event_count(pool) == before


async def test_a_body_over_the_servers_size_limit_is_413_in_the_dialects_envelope(
    client: AsyncTestClient, org: Org
) -> None:
    huge = b'{"message": "' + b"x" * 11_000_000 + b'"}'
    response = await client.post(INCIDENTIO, content=huge, headers=org.headers)
    [error] = assert_envelope(response, 413, "payload_too_large")
    assert error["code"] == "payload_too_large"


async def test_a_payload_that_is_not_an_object_names_no_field(
    client: AsyncTestClient, org: Org
) -> None:
    response = await client.post(INCIDENTIO, json=["not", "an", "object"], headers=org.headers)
    [error] = assert_envelope(response, 422, "validation_error")
    assert error["code"] == "is_invalid" and "source" not in error
