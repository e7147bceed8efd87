"""Idempotency-Key: a retried write happens once, and its answer is the same resource."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.domain.commands import PostUpdate
from app.domain.values import Actor
from app.handle import handle
from app.store.event_store import EventMetadata
from app.store.idempotency import Keyed, KeyTaken, Outcome, delete_expired_keys
from tests.api.conftest import Org, event_count, open_incident
from tests.conftest import KeyMaker

NOTE = {"visibility": "internal", "body": "Investigating."}


def keyed(org: Org, key: str) -> dict[str, str]:
    return {**org.headers, "Idempotency-Key": key}


async def test_a_hundred_concurrent_retries_append_once(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    before = await event_count(pool)
    responses = await asyncio.gather(
        *(client.post(url, json=NOTE, headers=keyed(org, "retry-1")) for _ in range(100))
    )
    created = [r for r in responses if r.status_code == 201]
    others = [r for r in responses if r.status_code != 201]
    assert created
    assert len({r.json()["data"]["id"] for r in created}) == 1
    assert {r.status_code for r in others} <= {409}
    assert {r.json()["error"]["code"] for r in others} <= {"idempotency_key_in_flight"}
    assert await event_count(pool) == before + 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in created) == len(created) - 1


async def test_a_retry_replays_the_resource_as_it_is_now(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    body = {"visibility": "public", "body": "Card numbers leaked 4111"}
    first = await client.post(url, json=body, headers=keyed(org, "k"))
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    update = first.json()["data"]
    await client.post(f"{url}/{update['id']}/redact", headers=org.headers)
    events = await event_count(pool)

    again = await client.post(url, json=body, headers=keyed(org, "k"))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["id"] == update["id"]
    assert again.json()["data"]["body"] is None  # the redaction is honoured
    assert "leaked 4111" not in again.text
    assert await event_count(pool) == events
    key = await pool.fetchval(
        "SELECT metadata->>'idempotency_key' FROM events WHERE type = 'UpdatePosted'"
    )
    assert key == "k"


async def test_the_same_key_with_another_payload_is_422(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    assert (await client.post(url, json=NOTE, headers=keyed(org, "k"))).status_code == 201
    events = await event_count(pool)
    other = await client.post(url, json={**NOTE, "body": "other"}, headers=keyed(org, "k"))
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    elsewhere = await client.post("/v1/incidents", json={}, headers=keyed(org, "k"))
    assert elsewhere.json()["error"]["code"] == "idempotency_key_reused"  # path is fingerprinted
    assert await event_count(pool) == events


async def test_rule_errors_are_stored_and_replayed(client: AsyncTestClient, org: Org) -> None:
    incident = await open_incident(client, org, components=[org.search])  # on no page
    url = f"/v1/incidents/{incident['id']}/updates"
    public = {"visibility": "public", "body": "We are on it."}
    first = await client.post(url, json=public, headers=keyed(org, "k"))
    assert first.json()["error"]["code"] == "no_public_surface"
    # The page now shows the component, yet the retry gets the stored answer.
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    await client.patch(
        f"/v1/status-pages/{pages[0]['id']}",
        json={"componentIds": [org.payments, org.search]},
        headers=org.headers,
    )
    again = await client.post(url, json=public, headers=keyed(org, "k"))
    assert (again.status_code, again.json()["error"]["code"]) == (400, "no_public_surface")
    fresh = await client.post(url, json=public, headers=keyed(org, "k2"))
    assert fresh.status_code == 201


async def test_failures_that_are_not_outcomes_are_not_stored(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org)
    url = f"/v1/incidents/{incident['id']}/updates"
    bad = await client.post(url, json={"visibility": "nope"}, headers=keyed(org, "k"))
    assert bad.status_code == 422
    good = await client.post(url, json=NOTE, headers=keyed(org, "k"))
    assert good.status_code == 201  # the key was free: the 422 stored nothing


async def test_keys_belong_to_one_organization(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    globex = {**await make_key(org="globex", name="Hank"), "Idempotency-Key": "shared"}
    mine = await client.post("/v1/components", json={"name": "A"}, headers=keyed(org, "shared"))
    theirs = await client.post("/v1/components", json={"name": "A"}, headers=globex)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["data"]["id"] != theirs.json()["data"]["id"]


async def test_long_keys_are_422(client: AsyncTestClient, org: Org) -> None:
    response = await client.post(
        "/v1/components", json={"name": "A"}, headers=keyed(org, "x" * 256)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    ok = await client.post("/v1/components", json={"name": "A"}, headers=keyed(org, "x" * 255))
    assert ok.status_code == 201


@pytest.mark.parametrize("key", [b"a\tb", b"caf\xe9", b"\x01"], ids=["tab", "latin-1", "ctrl"])
async def test_keys_with_control_or_non_ascii_characters_are_422_and_change_nothing(
    client: AsyncTestClient, org: Org, key: bytes
) -> None:
    before = (await client.get("/v1/components", headers=org.headers)).json()["data"]
    headers = {**org.headers, "Idempotency-Key": key}
    response = await client.post("/v1/components", json={"name": "A"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    after = (await client.get("/v1/components", headers=org.headers)).json()["data"]
    assert after == before


async def test_keys_expire_after_a_day(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    first = await client.post("/v1/components", json={"name": "A"}, headers=keyed(org, "k"))
    await pool.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    again = await client.post("/v1/components", json={"name": "A"}, headers=keyed(org, "k"))
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["data"]["id"] != first.json()["data"]["id"]

    await pool.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    await client.post("/v1/components", json={"name": "B"}, headers=keyed(org, "fresh"))
    assert await delete_expired_keys(pool) == 1
    keys = await pool.fetch("SELECT key FROM idempotency_keys")
    assert [row["key"] for row in keys] == ["fresh"]


async def test_every_dialect_honours_the_key(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    incident = await open_incident(client, org)
    body = {
        "status_page_incident_id": incident["id"],
        "message": "We are on it.",
        "notify_subscribers": False,
    }
    first = await client.post(
        "/v2/status_page_incident_updates", json=body, headers=keyed(org, "i")
    )
    events = await event_count(pool)
    again = await client.post(
        "/v2/status_page_incident_updates", json=body, headers=keyed(org, "i")
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await event_count(pool) == events


async def test_a_rule_error_is_replayed_in_the_dialect_that_answers_it_422(
    client: AsyncTestClient, org: Org
) -> None:
    incident = await open_incident(client, org, components=[org.search])  # on no page
    body = {
        "status_page_incident_id": incident["id"],
        "message": "We are on it.",
        "notify_subscribers": False,
    }
    url = "/v2/status_page_incident_updates"
    first = await client.post(url, json=body, headers=keyed(org, "i"))
    assert first.status_code == 422
    assert first.json()["errors"][0]["code"] == "no_public_surface"
    pages = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"]
    await client.patch(
        f"/v1/status-pages/{pages[0]['id']}",
        json={"componentIds": [org.payments, org.search]},
        headers=org.headers,
    )
    again = await client.post(url, json=body, headers=keyed(org, "i"))
    assert again.status_code == 422
    assert again.json()["errors"] == first.json()["errors"]
    assert (await client.post(url, json=body, headers=keyed(org, "i2"))).status_code == 201


async def test_a_command_whose_key_got_an_outcome_meanwhile_keeps_nothing(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    """Between a request's look-up of its key and its write, another request with the key
    may have stored its outcome: the write then fails whole, and no event is appended twice."""
    incident = await open_incident(client, org)
    organization = await pool.fetchval(
        "SELECT organization_id FROM incidents WHERE id = $1", incident["id"]
    )
    await pool.execute(
        "INSERT INTO idempotency_keys (organization_id, key, fingerprint, status)"
        " VALUES ($1, 'k', '\\x00', 201)",
        organization,
    )
    events = await event_count(pool)
    command = PostUpdate(
        incident_id=uuid.UUID(incident["id"]),
        update_id=uuid.uuid4(),
        visibility="internal",
        body="Investigating.",
        actor=Actor(id=uuid.uuid4(), name="Bob Ito"),
        at=datetime.now(UTC),
    )
    outcome = Outcome(fingerprint=b"\x01", status=201, resource_id=command.update_id)
    keyed = Keyed(organization_id=organization, key="k", outcome=outcome)
    async with pool.acquire() as conn:
        with pytest.raises(KeyTaken):
            await handle(conn, command, organization, EventMetadata(), keyed=keyed)
    assert await event_count(pool) == events
    assert await pool.fetchval("SELECT fingerprint FROM idempotency_keys") == b"\x00"
