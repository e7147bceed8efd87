"""Scheduled maintenances through the v1 API: the window, the lifecycle, the rules, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.conftest import CountingPool, Org, event_count
from tests.conftest import KeyMaker

URL = "/v1/maintenances"


def window(hours_ahead: float = 2, length: float = 1) -> dict[str, str]:
    starts = datetime.now(UTC) + timedelta(hours=hours_ahead)
    return {
        "scheduledFor": starts.isoformat(),
        "scheduledUntil": (starts + timedelta(hours=length)).isoformat(),
    }


async def schedule(client: AsyncTestClient, org: Org, **fields: object) -> dict:
    body = {
        "title": "Database upgrade",
        "description": "The primary database moves to new hardware.",
        "componentIds": [org.payments],
        **window(),
        **fields,
    }
    response = await client.post(URL, json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_a_scheduled_maintenance_is_shown_and_listed_in_utc(
    client: AsyncTestClient, org: Org
) -> None:
    paris = timezone(timedelta(hours=2))
    starts = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).astimezone(paris)
    created = await schedule(
        client,
        org,
        scheduledFor=starts.isoformat(),
        scheduledUntil=(starts + timedelta(hours=2)).isoformat(),
        autoComplete=False,
    )
    assert created["status"] == "scheduled"
    assert created["scheduledFor"] == starts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert (created["autoStart"], created["autoComplete"]) == (True, False)
    assert created["componentIds"] == [org.payments]
    shown = await client.get(f"{URL}/{created['id']}", headers=org.headers)
    assert shown.json()["data"] == created
    listed = await client.get(f"{URL}?status=scheduled", headers=org.headers)
    assert [m["id"] for m in listed.json()["data"]] == [created["id"]]
    assert listed.json()["nextCursor"] is None
    none = await client.get(f"{URL}?status=completed", headers=org.headers)
    assert none.json()["data"] == []


async def test_a_bad_window_is_refused_with_its_code_and_changes_nothing(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    before = await event_count(pool)
    base = {"title": "Upgrade", "componentIds": [org.payments]}
    starts = datetime.now(UTC) + timedelta(hours=1)
    cases = [
        (
            {"scheduledFor": starts.isoformat(), "scheduledUntil": starts.isoformat()},
            400,
            "maintenance_window_invalid",
        ),
        (window(hours_ahead=-2), 400, "maintenance_window_in_past"),
        (
            {"scheduledFor": "2030-01-01T10:00:00", "scheduledUntil": "2030-01-01T11:00:00"},
            422,
            "validation_error",
        ),
        ({**window(), "componentIds": []}, 422, "validation_error"),
        (
            {**window(), "componentIds": [org.search, "0" * 8 + "-0000-7000-8000-" + "0" * 12]},
            422,
            "validation_error",
        ),
        ({**window(), "scheduledFor": "not a time"}, 422, "validation_error"),
        (
            {"scheduledFor": "9999-12-31T23:00:00-05:00", "scheduledUntil": "9999-12-31T23:30:00Z"},
            422,
            "validation_error",
        ),
    ]
    for fields, status, code in cases:
        response = await client.post(URL, json={**base, **fields}, headers=org.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), fields
    assert await event_count(pool) == before


async def test_the_whole_life_by_hand(client: AsyncTestClient, org: Org) -> None:
    created = await schedule(client, org)
    url = f"{URL}/{created['id']}"
    started = await client.post(f"{url}/start", headers=org.headers)
    assert started.status_code == 200, started.text
    assert started.json()["data"]["status"] == "in_progress"
    assert started.json()["data"]["startedAt"] is not None
    # Started twice (say, by the clock meanwhile): nothing more happens.
    again = await client.post(f"{url}/start", headers=org.headers)
    assert again.json()["data"]["startedAt"] == started.json()["data"]["startedAt"]

    moved = await client.patch(url, json=window(hours_ahead=5), headers=org.headers)
    assert moved.json()["error"]["code"] == "maintenance_started"
    longer = datetime.fromisoformat(created["scheduledUntil"]) + timedelta(hours=2)
    extended = await client.patch(
        url, json={"scheduledUntil": longer.isoformat()}, headers=org.headers
    )
    assert extended.status_code == 200, extended.text
    assert (
        extended.json()["data"]["scheduledUntil"]
        == longer.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )

    note = await client.post(
        f"{url}/updates",
        json={"visibility": "internal", "body": "Replica promoted."},
        headers=org.headers,
    )
    assert note.status_code == 201, note.text
    public = await client.post(
        f"{url}/updates",
        json={"visibility": "public", "body": "Checking it.", "statusChange": "verifying"},
        headers=org.headers,
    )
    assert public.json()["data"]["status"] == "verifying"
    redacted = await client.post(
        f"{url}/updates/{note.json()['data']['id']}/redact", headers=org.headers
    )
    assert redacted.status_code == 200, redacted.text
    assert redacted.json()["data"]["body"] is None
    assert redacted.json()["data"]["redactedBy"]["name"] == "Alice Chen"
    updates = (await client.get(f"{url}/updates", headers=org.headers)).json()["data"]
    assert [(u["visibility"], u["body"]) for u in updates] == [
        ("internal", None),
        ("public", "Checking it."),
    ]

    completed = await client.post(f"{url}/complete", headers=org.headers)
    assert completed.json()["data"]["status"] == "completed"
    late = await client.post(
        f"{url}/updates", json={"visibility": "public", "body": "One more."}, headers=org.headers
    )
    assert (late.status_code, late.json()["error"]["code"]) == (400, "maintenance_finished")
    cancel = await client.post(f"{url}/cancel", headers=org.headers)
    assert cancel.json()["error"]["code"] == "maintenance_finished"


async def test_cancelling_is_for_maintenances_that_have_not_started(
    client: AsyncTestClient, org: Org
) -> None:
    planned = await schedule(client, org)
    cancelled = await client.post(f"{URL}/{planned['id']}/cancel", headers=org.headers)
    assert cancelled.json()["data"]["status"] == "cancelled"
    start = await client.post(f"{URL}/{planned['id']}/start", headers=org.headers)
    assert (start.status_code, start.json()["error"]["code"]) == (400, "maintenance_finished")

    running = await schedule(client, org)
    await client.post(f"{URL}/{running['id']}/start", headers=org.headers)
    refused = await client.post(f"{URL}/{running['id']}/cancel", headers=org.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "maintenance_started")
    early = await schedule(client, org)
    complete = await client.post(f"{URL}/{early['id']}/complete", headers=org.headers)
    assert complete.json()["error"]["code"] == "invalid_status_transition"


async def test_a_public_update_needs_a_page_showing_its_components(
    client: AsyncTestClient, org: Org
) -> None:
    hidden = await schedule(client, org, componentIds=[org.search])
    response = await client.post(
        f"{URL}/{hidden['id']}/updates",
        json={"visibility": "public", "body": "Started."},
        headers=org.headers,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "no_public_surface")


async def test_a_retry_with_the_same_key_schedules_once(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    body = {"title": "Upgrade", "componentIds": [org.payments], **window()}
    headers = {**org.headers, "Idempotency-Key": "schedule-upgrade"}
    first = await client.post(URL, json=body, headers=headers)
    second = await client.post(URL, json=body, headers=headers)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == second.json()
    assert await pool.fetchval("SELECT count(*) FROM maintenances") == 1
    # A rule's refusal is the outcome, replayed too.
    url = f"{URL}/{first.json()['data']['id']}/complete"
    keyed = {**org.headers, "Idempotency-Key": "complete-early"}
    refused = await client.post(url, headers=keyed)
    await client.post(f"{URL}/{first.json()['data']['id']}/start", headers=org.headers)
    # Completing would now be accepted, but this key's outcome is the refusal.
    replayed = await client.post(url, headers=keyed)
    assert refused.json()["error"]["code"] == "invalid_status_transition"
    assert replayed.json()["error"]["code"] == "invalid_status_transition"
    shown = await client.get(f"{URL}/{first.json()['data']['id']}", headers=org.headers)
    assert shown.json()["data"]["status"] == "in_progress"


async def test_another_organizations_maintenance_does_not_exist_and_scopes_hold(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    created = await schedule(client, org)
    other = await make_key(org="globex", name="Gina")
    for method, path in [
        ("GET", f"{URL}/{created['id']}"),
        ("POST", f"{URL}/{created['id']}/start"),
        ("GET", f"{URL}/not-a-uuid"),
    ]:
        response = await client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
    reader = await make_key(org="acme", name="Reader", scopes=("read",))
    refused = await client.post(f"{URL}/{created['id']}/start", headers=reader)
    assert refused.status_code == 403
    assert (await client.get(URL, headers=reader)).status_code == 200


async def test_a_maintenance_command_is_two_round_trips(
    client: AsyncTestClient,
    org: Org,
    counted: CountingPool,
) -> None:
    await schedule(client, org)  # asyncpg learns the statements' types once per connection
    counted.statements.clear()
    created = await schedule(client, org)
    assert len(counted.statements) == 2, counted.statements
    url = f"{URL}/{created['id']}/updates"
    for n in range(20):
        await client.post(url, json={"visibility": "public", "body": f"n{n}"}, headers=org.headers)
    counted.statements.clear()
    last = {"visibility": "public", "body": "last"}
    response = await client.post(url, json=last, headers=org.headers)
    assert response.status_code == 201, response.text
    assert len(counted.statements) == 2, counted.statements
