"""The v1 incident API: the reference document's flow, every error code, isolation, concurrency."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.domain.values import STATUS_ORDER
from tests.api.conftest import Org, event_count, open_incident
from tests.conftest import KeyMaker

PAYMENTS_DOWN = "We are investigating elevated error rates on the Payments API."


async def test_investigate_publish_resolve_flow(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    assert incident["status"] == "investigating"
    assert incident["severity"] == "critical"
    assert incident["componentIds"] == [org.payments]

    url = f"/v1/incidents/{incident['id']}/updates"
    response = await client.post(
        url, json={"body": PAYMENTS_DOWN, "visibility": "public"}, headers=org.headers
    )
    assert response.status_code == 201
    update = response.json()["data"]
    assert update["body"] == PAYMENTS_DOWN
    assert update["statusChange"] is None
    assert update["visibility"] == "public"
    assert update["incidentId"] == incident["id"]
    assert update["postedBy"]["name"] == "Alice Chen"
    assert update["postedAt"].endswith("Z")
    assert update["redactedAt"] is None and update["redactedBy"] is None

    response = await client.post(
        url,
        json={
            "body": "Rolled back deploy v3.14.2. Error rates back to baseline.",
            "statusChange": "resolved",
            "visibility": "public",
        },
        headers=org.headers,
    )
    assert response.status_code == 201
    assert response.json()["data"]["statusChange"] == "resolved"

    shown = (await client.get(f"/v1/incidents/{incident['id']}", headers=org.headers)).json()
    assert shown["data"]["status"] == "resolved"
    assert shown["data"]["resolvedAt"] is not None
    assert shown["data"]["componentStatuses"] == [
        {"componentId": org.payments, "status": "operational"}
    ]
    updates = (await client.get(url, headers=org.headers)).json()["data"]
    assert [u["statusChange"] for u in updates] == [None, "resolved"]


async def test_component_statuses_merge_per_component(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org, components=[org.payments, org.search])
    url = f"/v1/incidents/{incident['id']}/updates"
    for statuses in (
        [
            {"componentId": org.payments, "status": "full_outage"},
            {"componentId": org.search, "status": "degraded_performance"},
        ],
        [{"componentId": org.payments, "status": "partial_outage"}],
    ):
        response = await client.post(
            url,
            json={"body": "Still on it.", "visibility": "internal", "componentStatuses": statuses},
            headers=org.headers,
        )
        assert response.status_code == 201
        assert response.json()["data"]["componentStatuses"] == statuses
    shown = (await client.get(f"/v1/incidents/{incident['id']}", headers=org.headers)).json()
    assert shown["data"]["componentStatuses"] == [
        {"componentId": org.payments, "status": "partial_outage"},
        {"componentId": org.search, "status": "degraded_performance"},
    ]


async def test_internal_status_change_needs_no_body(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"statusChange": "monitoring", "visibility": "internal"},
        headers=org.headers,
    )
    assert response.status_code == 201
    assert response.json()["data"]["body"] is None
    shown = (await client.get(f"/v1/incidents/{incident['id']}", headers=org.headers)).json()
    assert shown["data"]["status"] == "monitoring"


RULES = [
    # (code, status the incident is moved to first, request body)
    ("update_must_carry_body_or_status_change", None, {"visibility": "internal"}),
    ("update_must_carry_body_or_status_change", None, {"visibility": "internal", "body": "  "}),
    ("body_required_for_public", None, {"visibility": "public", "statusChange": "identified"}),
    (
        "body_required_for_public",
        None,
        {"visibility": "public", "body": "\n\t ", "statusChange": "identified"},
    ),
    (
        "invalid_status_transition",
        "monitoring",
        {"visibility": "internal", "statusChange": "identified"},
    ),
    (
        "invalid_status_transition",
        None,
        {"visibility": "internal", "statusChange": "investigating"},
    ),
    ("incident_resolved", "resolved", {"visibility": "internal", "body": "Late note."}),
]


@pytest.mark.parametrize(("code", "moved_to", "body"), RULES)
async def test_rules_answer_400_with_their_code_and_append_nothing(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, code: str, moved_to, body: dict
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    if moved_to:
        moved = {"visibility": "internal", "statusChange": moved_to}
        assert (await client.post(url, json=moved, headers=org.headers)).status_code == 201
    before = await event_count(pool)
    response = await client.post(url, json=body, headers=org.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["requestId"] == response.headers["x-request-id"]
    assert await event_count(pool) == before


async def test_component_statuses_on_resolve(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    before = await event_count(pool)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={
            "visibility": "public",
            "body": "Fixed.",
            "statusChange": "resolved",
            "componentStatuses": [{"componentId": org.payments, "status": "operational"}],
        },
        headers=org.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "component_statuses_on_resolve"
    assert await event_count(pool) == before


async def test_no_public_surface(client: AsyncTestClient, org: Org, pool: asyncpg.Pool) -> None:
    incident = await open_incident(client, org, components=[org.search])
    before = await event_count(pool)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": PAYMENTS_DOWN},
        headers=org.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_public_surface"
    assert await event_count(pool) == before
    # Internal updates need no public surface.
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "internal", "body": PAYMENTS_DOWN},
        headers=org.headers,
    )
    assert response.status_code == 201


async def test_an_unpublished_page_is_no_public_surface(client: AsyncTestClient, org: Org) -> None:
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    await client.patch(
        f"/v1/status-pages/{pages[0]['id']}", json={"published": False}, headers=org.headers
    )
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": PAYMENTS_DOWN},
        headers=org.headers,
    )
    assert response.json()["error"]["code"] == "no_public_surface"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"body": "x"}, {"visibility"}),
        ({"visibility": "everyone", "body": "x"}, {"visibility"}),
        ({"visibility": "public", "body": "x" * 10_001}, {"body"}),
        ({"visibility": "internal", "statusChange": "fixed"}, {"statusChange"}),
        (
            {
                "visibility": "internal",
                "body": "x",
                "componentStatuses": [{"componentId": str(uuid.uuid4()), "status": "down"}],
            },
            {"componentStatuses[0].status"},
        ),
        ({"visibility": "nope", "body": 7}, {"visibility", "body"}),
    ],
)
async def test_schema_validation_is_422_naming_each_field(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, body: dict, fields: set[str]
) -> None:
    incident = await open_incident(client, org)
    before = await event_count(pool)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates", json=body, headers=org.headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {f["field"] for f in error["fields"]} == fields
    assert await event_count(pool) == before


async def test_a_body_of_exactly_10000_characters_is_accepted(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": "x" * 10_000},
        headers=org.headers,
    )
    assert response.status_code == 201


async def test_a_component_the_incident_does_not_affect_is_422(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={
            "visibility": "internal",
            "body": "x",
            "componentStatuses": [{"componentId": org.search, "status": "full_outage"}],
        },
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "componentStatuses[0].componentId"


async def test_malformed_json_is_400_invalid_json(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        content=b"{visibility",
        headers={**org.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_checks_run_in_order(client: AsyncTestClient, org: Org, make_key: KeyMaker) -> None:
    """401 before 403 before 404 before 422 before the rules."""
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    bad = {"visibility": "nope"}
    reader = await make_key(name="Reader", scopes=("read",))
    unknown = f"/v1/incidents/{uuid.uuid4()}/updates"
    cases = [
        (url, {}, bad, 401, "not_authorized"),
        (url, reader, bad, 403, "forbidden"),
        (unknown, org.headers, bad, 404, "not_found"),
        ("/v1/incidents/not-a-uuid/updates", org.headers, bad, 404, "not_found"),
        (url, org.headers, bad, 422, "validation_error"),
    ]
    for path, headers, body, status, code in cases:
        response = await client.post(path, json=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_redaction_erases_the_text_everywhere(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    secret = "Leaked: customer card 4111-1111-1111-1111 in logs"
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    update = (
        await client.post(url, json={"visibility": "public", "body": secret}, headers=org.headers)
    ).json()["data"]
    # The incident is resolved first: redaction is still allowed.
    resolve = {"visibility": "internal", "statusChange": "resolved"}
    assert (await client.post(url, json=resolve, headers=org.headers)).status_code == 201

    response = await client.post(f"{url}/{update['id']}/redact", headers=org.headers)
    assert response.status_code == 200
    redacted = response.json()["data"]
    assert redacted["body"] is None
    assert redacted["redactedAt"] is not None
    assert redacted["redactedBy"]["name"] == "Alice Chen"

    listed = await client.get(url, headers=org.headers)
    assert secret not in listed.text
    assert listed.json()["data"][0]["redactedAt"] == redacted["redactedAt"]
    async with pool.acquire() as conn:
        for table in ("events", "update_bodies", "incident_updates", "incidents"):
            dump = await conn.fetchval(
                f"SELECT coalesce(string_agg(t::text, ''), '') FROM {table} t"
            )
            assert "card 4111" not in dump, table

    again = await client.post(f"{url}/{update['id']}/redact", headers=org.headers)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "already_redacted"
    unknown = await client.post(f"{url}/{uuid.uuid4()}/redact", headers=org.headers)
    assert unknown.status_code == 404


async def test_another_organization_sees_nothing(
    client: AsyncTestClient, org: Org, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}"
    update = (
        await client.post(
            f"{url}/updates", json={"visibility": "public", "body": "x"}, headers=org.headers
        )
    ).json()["data"]
    globex = await make_key(org="globex", name="Hank Scorpio")
    before = await event_count(pool)
    attempts = [
        client.get(url, headers=globex),
        client.get(f"{url}/updates", headers=globex),
        client.patch(url, json={"title": "pwned"}, headers=globex),
        client.post(f"{url}/updates", json={"visibility": "internal", "body": "x"}, headers=globex),
        client.post(f"{url}/updates/{update['id']}/redact", headers=globex),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 404
        assert "Payments" not in response.text
    assert (await client.get("/v1/incidents", headers=globex)).json()["data"] == []
    assert await event_count(pool) == before


async def test_edit_an_incident(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}"
    response = await client.patch(
        url, json={"title": "Payments degraded", "severity": "major"}, headers=org.headers
    )
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Payments degraded"
    assert response.json()["data"]["severity"] == "major"
    response = await client.patch(
        url, json={"componentIds": [str(uuid.uuid4())]}, headers=org.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "componentIds[0]"
    await client.post(
        f"{url}/updates",
        json={"visibility": "internal", "statusChange": "resolved"},
        headers=org.headers,
    )
    response = await client.patch(url, json={"title": "Too late"}, headers=org.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "incident_resolved"


async def test_list_incidents_by_status_with_cursor(client: AsyncTestClient, org: Org) -> None:
    ids = [(await open_incident(client, org))["id"] for _ in range(5)]
    await client.post(
        f"/v1/incidents/{ids[0]}/updates",
        json={"visibility": "internal", "statusChange": "resolved"},
        headers=org.headers,
    )
    seen, cursor = [], None
    while True:
        params = {"status": "investigating", "limit": "2"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/v1/incidents", params=params, headers=org.headers)).json()
        seen += [i["id"] for i in body["data"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids[1:]))  # newest first
    response = await client.get("/v1/incidents", params={"status": "done"}, headers=org.headers)
    assert response.status_code == 422


async def test_fifty_concurrent_updates_on_one_incident(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    bodies = [
        {"visibility": "internal", "body": f"note {n}"}
        | ({"statusChange": STATUS_ORDER[1 + n % 2]} if n % 5 == 0 else {})
        for n in range(50)
    ]
    responses = await asyncio.gather(
        *(client.post(url, json=body, headers=org.headers) for body in bodies)
    )
    codes = {r.status_code for r in responses}
    assert codes <= {201, 400}
    for body, response in zip(bodies, responses, strict=True):
        if "statusChange" not in body:
            assert response.status_code == 201
        elif response.status_code == 400:
            assert response.json()["error"]["code"] == "invalid_status_transition"
    created = sum(r.status_code == 201 for r in responses)

    rows = await pool.fetch(
        "SELECT version, type, data->>'to_status' AS to_status FROM events"
        " WHERE stream_id = $1 ORDER BY version",
        uuid.UUID(incident["id"]),
    )
    assert [r["version"] for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r["type"] == "UpdatePosted" for r in rows) == created
    reached = [STATUS_ORDER.index(r["to_status"]) for r in rows if r["type"] == "StatusChanged"]
    assert reached == sorted(reached) and len(set(reached)) == len(reached)


async def test_unexpected_failure_is_500_server_error_with_the_request_id_logged(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    incident = await open_incident(client, org)
    # Break the database under the app: the update projection is gone.
    await pool.execute("ALTER TABLE incident_updates RENAME TO incident_updates_gone")
    before = await event_count(pool)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "internal", "body": "Secret internal note"},
        headers=org.headers,
    )
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "Traceback" not in response.text and "incident_updates" not in response.text
    logged = [r for r in caplog.records if r.name == "herald.api"]
    assert logged and error["requestId"] in logged[0].getMessage()
    assert "Secret internal note" not in caplog.text
    assert await event_count(pool) == before  # the whole command rolled back


async def test_audit_trail_comes_from_the_log_without_redacted_text(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}"
    update = (
        await client.post(
            f"{url}/updates",
            json={"visibility": "public", "body": "Secret 4111", "statusChange": "identified"},
            headers={**org.headers, "X-Request-Id": "req-from-client-1"},
        )
    ).json()["data"]
    await client.post(f"{url}/updates/{update['id']}/redact", headers=org.headers)

    seen, cursor = [], None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await client.get(f"{url}/events", params=params, headers=org.headers)
        assert response.status_code == 200
        assert "Secret 4111" not in response.text
        seen += response.json()["data"]
        cursor = response.json()["nextCursor"]
        if cursor is None:
            break
    assert [e["type"] for e in seen] == [
        "IncidentOpened",
        "UpdatePosted",
        "StatusChanged",
        "UpdateRedacted",
    ]
    assert [e["version"] for e in seen] == [1, 2, 3, 4]
    assert seen[1]["requestId"] == "req-from-client-1"
    assert seen[1]["actor"]["name"] == "Alice Chen"
    assert seen[2]["data"]["to_status"] == "identified"
    assert seen[0]["recordedAt"].endswith("Z")

    globex = await make_key(org="globex", name="Hank Scorpio")
    assert (await client.get(f"{url}/events", headers=globex)).status_code == 404
