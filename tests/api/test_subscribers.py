"""The subscribers and deliveries API, and the public subscribe, confirm and unsubscribe pages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import Settings
from app.crypto import Keys
from tests.api.conftest import Org, open_incident
from tests.conftest import KeyMaker
from workers.dispatcher import dispatch

SECRET_KEY = "api-test-secret-key-0123456789abcdefghij"


@pytest.fixture
async def client(database: str, redis_url: str) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(database_url=database, redis_url=redis_url, secret_key=SECRET_KEY)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def page_id(client: AsyncTestClient, org: Org) -> str:
    return (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]["id"]


async def create(client: AsyncTestClient, org: Org, body: dict, page: str | None = None):
    page = page or await page_id(client, org)
    return await client.post(f"/v1/status-pages/{page}/subscribers", json=body, headers=org.headers)


async def test_a_webhook_gets_a_secret_shown_once_and_stored_encrypted(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    response = await create(
        client, org, {"channel": "webhook", "url": "https://hooks.example.com/herald"}
    )
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["secret"].startswith("whsec_")
    assert created["url"] == "https://hooks.example.com/herald"
    assert "address" not in created
    assert created["status"] == "active" and created["confirmedAt"] is not None
    assert created["componentIds"] == []
    page = created["statusPageId"]
    shown = (
        await client.get(
            f"/v1/status-pages/{page}/subscribers/{created['id']}", headers=org.headers
        )
    ).json()["data"]
    assert "secret" not in shown
    stored = await pool.fetchval("SELECT secret_encrypted FROM subscribers")
    assert created["secret"].encode() not in stored
    assert Keys(SECRET_KEY).decrypt(stored) == created["secret"]


async def test_an_email_subscriber_with_a_component_filter(
    client: AsyncTestClient, org: Org
) -> None:
    response = await create(
        client,
        org,
        {"channel": "email", "address": "Reader@Example.com", "componentIds": [org.payments]},
    )
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["address"] == "Reader@Example.com" and "url" not in created
    assert "secret" not in created
    assert created["componentIds"] == [org.payments]
    again = await create(client, org, {"channel": "email", "address": "reader@example.com"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "subscriber_exists"


async def test_non_ascii_addresses_are_taken_in_nfc_and_broken_ones_refused(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    created = await create(client, org, {"channel": "email", "address": "ren\u00e9@b\u00fccher.de"})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["address"] == "ren\u00e9@b\u00fccher.de"
    # The same address with the accent as a combining mark is the same subscriber.
    again = await create(client, org, {"channel": "email", "address": "rene\u0301@bu\u0308cher.de"})
    assert again.status_code == 409, again.text
    refused = {
        "a\u200b@example.com": "contains a space, a control or an invisible character",
        "a\u0007b@example.com": "contains a space, a control or an invisible character",
        "a@exa..mple.com": "the part after @ is not a domain name",
        "a@example": "not an email address",
        "x" * 65 + "@example.com": "the part before @ is longer than 64 bytes",
        "\u00e9" * 40 + "@example.com": "the part before @ is longer than 64 bytes",
    }
    for address, message in refused.items():
        response = await create(client, org, {"channel": "email", "address": address})
        assert response.status_code == 422, (address, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["fields"] == [{"field": "address", "message": message}]
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "channel"),
        ({"channel": "sms", "address": "+15550100"}, "channel"),
        ({"channel": "webhook"}, "url"),
        ({"channel": "webhook", "url": "ftp://example.com/x"}, "url"),
        ({"channel": "webhook", "url": "/relative"}, "url"),
        ({"channel": "webhook", "url": "https://user:pw@example.com/x"}, "url"),
        ({"channel": "webhook", "url": "http://127.0.0.1:8080/x"}, "url"),
        ({"channel": "webhook", "url": "http://169.254.169.254/latest"}, "url"),
        ({"channel": "webhook", "url": "http://[::ffff:10.0.0.1]/x"}, "url"),
        ({"channel": "webhook", "url": "http://[v1.a:b]/x"}, "url"),
        ({"channel": "webhook", "url": "http://example.com:99999/x"}, "url"),
        ({"channel": "webhook", "url": "https://x.example/" + "a" * 2000}, "url"),
        ({"channel": "email"}, "address"),
        ({"channel": "email", "address": "not an address"}, "address"),
        ({"channel": "email", "address": "a@example.com, b@example.com"}, "address"),
        ({"channel": "email", "address": "a@b.c", "componentIds": ["nope"]}, "componentIds[0]"),
    ],
)
async def test_invalid_subscribers_are_refused_naming_the_field(
    client: AsyncTestClient, org: Org, body: dict, field: str
) -> None:
    response = await create(client, org, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


async def test_a_component_filter_must_name_components_the_page_shows(
    client: AsyncTestClient, org: Org
) -> None:
    response = await create(
        client, org, {"channel": "email", "address": "a@b.c", "componentIds": [org.search]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "componentIds[0]"


async def test_malformed_json_is_400(client: AsyncTestClient, org: Org) -> None:
    page = await page_id(client, org)
    response = await client.post(
        f"/v1/status-pages/{page}/subscribers",
        content=b"{",
        headers={**org.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_every_endpoint_needs_the_subscribers_scope_even_to_read(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    page = await page_id(client, org)
    reader = await make_key(name="Dashboard", scopes=("read", "incidents:write"))
    some = str(uuid.uuid4())
    calls = [
        ("POST", f"/v1/status-pages/{page}/subscribers"),
        ("GET", f"/v1/status-pages/{page}/subscribers"),
        ("GET", f"/v1/status-pages/{page}/subscribers/{some}"),
        ("DELETE", f"/v1/status-pages/{page}/subscribers/{some}"),
        ("GET", f"/v1/status-pages/{page}/deliveries"),
        ("POST", f"/v1/status-pages/{page}/deliveries/{some}/retry"),
    ]
    for method, url in calls:
        assert (await client.request(method, url)).status_code == 401
        response = await client.request(method, url, headers=reader)
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "forbidden"


async def test_pages_and_subscribers_of_another_organization_do_not_exist(
    client: AsyncTestClient, org: Org, make_key: KeyMaker
) -> None:
    page = await page_id(client, org)
    mine = (await create(client, org, {"channel": "email", "address": "a@b.c"})).json()["data"]
    stranger = await make_key(org="globex", name="Hank")
    for method, url in [
        ("POST", f"/v1/status-pages/{page}/subscribers"),
        ("GET", f"/v1/status-pages/{page}/subscribers"),
        ("GET", f"/v1/status-pages/{page}/subscribers/{mine['id']}"),
        ("DELETE", f"/v1/status-pages/{page}/subscribers/{mine['id']}"),
        ("GET", f"/v1/status-pages/{page}/deliveries"),
        ("GET", "/v1/status-pages/not-a-uuid/subscribers"),
    ]:
        headers = org.headers if "not-a-uuid" in url else stranger
        response = await client.request(method, url, headers=headers, json={})
        assert response.status_code == 404, (method, url)
    for url in (
        f"/v1/status-pages/{page}/subscribers/not-a-uuid",
        f"/v1/status-pages/{page}/subscribers/{uuid.uuid4()}",
    ):
        assert (await client.get(url, headers=org.headers)).status_code == 404


async def test_list_pages_through_subscribers_and_removal_hides_them(
    client: AsyncTestClient, org: Org
) -> None:
    page = await page_id(client, org)
    ids = [
        (
            await create(client, org, {"channel": "email", "address": f"r{n}@example.com"}, page)
        ).json()["data"]["id"]
        for n in range(5)
    ]
    url = f"/v1/status-pages/{page}/subscribers"
    first = (await client.get(url, params={"limit": "3"}, headers=org.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": "3", "cursor": first["nextCursor"]}, headers=org.headers
        )
    ).json()
    assert [s["id"] for s in first["data"] + rest["data"]] == ids
    assert rest["nextCursor"] is None

    assert (await client.delete(f"{url}/{ids[0]}", headers=org.headers)).status_code == 204
    assert (await client.delete(f"{url}/{ids[0]}", headers=org.headers)).status_code == 404
    assert (await client.get(f"{url}/{ids[0]}", headers=org.headers)).status_code == 404
    listed = (await client.get(url, headers=org.headers)).json()["data"]
    assert [s["id"] for s in listed] == ids[1:]
    # Gone, the address may subscribe again.
    again = await create(client, org, {"channel": "email", "address": "r0@example.com"}, page)
    assert again.status_code == 201


async def owe_one(client: AsyncTestClient, org: Org, pool: asyncpg.Pool) -> dict:
    """A pending delivery, written by the dispatcher as the worker would."""
    await create(client, org, {"channel": "email", "address": "reader@example.com"})
    incident = await open_incident(client, org)
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": "Investigating."},
        headers=org.headers,
    )
    assert response.status_code == 201
    async with pool.acquire() as conn:
        assert (await dispatch(conn, 5)).read > 0
    page = await page_id(client, org)
    [row] = (await client.get(f"/v1/status-pages/{page}/deliveries", headers=org.headers)).json()[
        "data"
    ]
    return row


async def test_deliveries_list_filters_and_only_dead_or_failed_ones_retry(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    row = await owe_one(client, org, pool)
    assert row["status"] == "pending" and row["kind"] == "update" and row["channel"] == "email"
    assert row["attempts"] == 0 and len(row["idempotencyKey"]) == 32
    page = row["statusPageId"]
    url = f"/v1/status-pages/{page}/deliveries"
    assert (await client.get(url, params={"status": "dead"}, headers=org.headers)).json()[
        "data"
    ] == []
    bad = await client.get(url, params={"status": "lost"}, headers=org.headers)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "status"

    retry = f"{url}/{row['id']}/retry"
    refused = await client.post(retry, headers=org.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "delivery_not_retryable"
    assert (await client.post(f"{url}/{uuid.uuid4()}/retry", headers=org.headers)).status_code == (
        404
    )

    await pool.execute(
        "UPDATE deliveries SET status = 'dead', attempts = 5, max_attempts = 5,"
        " last_error = 'HTTP 500', enqueued_at = now()"
    )
    dead = (await client.get(url, params={"status": "dead"}, headers=org.headers)).json()["data"]
    assert [d["lastError"] for d in dead] == ["HTTP 500"]
    retried = await client.post(retry, headers=org.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["data"]["status"] == "pending"
    assert retried.json()["data"]["attempts"] == 5
    fresh = await pool.fetchrow("SELECT max_attempts, enqueued_at FROM deliveries")
    assert fresh["max_attempts"] == 15 and fresh["enqueued_at"] is None


async def test_a_retried_webhook_create_returns_the_same_subscriber_and_secret(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    hook = {"channel": "webhook", "url": "https://hooks.example.com/herald"}
    url = f"/v1/status-pages/{await page_id(client, org)}/subscribers"
    keyed = {**org.headers, "Idempotency-Key": "add-hook"}
    first = await client.post(url, json=hook, headers=keyed)
    again = await client.post(url, json=hook, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["secret"].startswith("whsec_")
    assert again.json() == first.json()  # the same subscriber, the same secret
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 1
    stored = await pool.fetchval("SELECT secret_encrypted FROM subscribers")
    assert Keys(SECRET_KEY).decrypt(stored) == first.json()["data"]["secret"]

    # Another key is another request: the URL is taken, and that conflict is not stored.
    other = {**org.headers, "Idempotency-Key": "add-hook-2"}
    taken = await client.post(url, json=hook, headers=other)
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "subscriber_exists")
    subscriber = first.json()["data"]["id"]
    await client.delete(f"{url}/{subscriber}", headers=org.headers)
    assert (await client.post(url, json=hook, headers=other)).status_code == 201
    gone = await client.post(url, json=hook, headers=keyed)
    assert gone.status_code == 404  # a replay shows the subscriber as it is now: removed


async def test_a_retried_delivery_retry_is_one_fresh_round(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    row = await owe_one(client, org, pool)
    await pool.execute("UPDATE deliveries SET status = 'dead', attempts = 5, max_attempts = 5")
    retry = f"/v1/status-pages/{row['statusPageId']}/deliveries/{row['id']}/retry"
    keyed = {**org.headers, "Idempotency-Key": "retry-once"}
    first = await client.post(retry, headers=keyed)
    assert first.status_code == 200, first.text
    # The round ran out again before the client's retry of its request arrived.
    await pool.execute("UPDATE deliveries SET status = 'dead', attempts = 15")
    again = await client.post(retry, headers=keyed)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["status"] == "dead"  # as it is now, not retried a second time
    assert await pool.fetchval("SELECT max_attempts FROM deliveries") == 15


async def test_removing_a_subscriber_cancels_what_it_is_owed(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    row = await owe_one(client, org, pool)
    page = row["statusPageId"]
    response = await client.delete(
        f"/v1/status-pages/{page}/subscribers/{row['subscriberId']}", headers=org.headers
    )
    assert response.status_code == 204
    assert await pool.fetchval("SELECT status FROM deliveries") == "cancelled"


async def test_webhooks_need_the_secret_key_configured(
    database: str, redis_url: str, make_key: KeyMaker
) -> None:
    headers = await make_key()
    settings = Settings(database_url=database, redis_url=redis_url)
    async with AsyncTestClient(create_app(settings)) as client:
        page = await client.post(
            "/v1/status-pages", json={"name": "Acme", "slug": "acme"}, headers=headers
        )
        url = f"/v1/status-pages/{page.json()['data']['id']}/subscribers"
        response = await client.post(
            url, json={"channel": "webhook", "url": "https://example.com/h"}, headers=headers
        )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_configured"
        mail = await client.post(
            url, json={"channel": "email", "address": "a@b.c"}, headers=headers
        )
        assert mail.status_code == 201


async def test_subscribing_publicly_needs_a_published_page_and_an_address(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    assert (await client.post("/status/nope/subscribe", json={"email": "a@b.c"})).status_code == 404
    await client.post(
        "/v1/status-pages", json={"name": "Draft", "slug": "draft"}, headers=org.headers
    )
    assert (await client.post("/status/draft/subscribe", json={"email": "a@b.c"})).status_code == (
        404
    )
    response = await client.post("/status/acme/subscribe", json={"email": "nope"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "email"
    form = await client.post("/status/acme/subscribe", data={"email": "nope"})
    assert form.status_code == 422 and "text/html" in form.headers["content-type"]
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0

    accepted = await client.post("/status/acme/subscribe", json={"email": "a@example.com"})
    assert accepted.status_code == 202
    assert accepted.json()["data"]["status"] == "pending_confirmation"
    row = await pool.fetchrow("SELECT confirmed_at, channel FROM subscribers")
    assert row["channel"] == "email" and row["confirmed_at"] is None
    assert await pool.fetchval("SELECT kind FROM deliveries") == "confirmation"
    listed = (
        await client.get(
            f"/v1/status-pages/{await page_id(client, org)}/subscribers", headers=org.headers
        )
    ).json()["data"]
    assert [s["status"] for s in listed] == ["pending_confirmation"]


async def test_links_with_a_bad_token_do_nothing_and_a_get_never_acts(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    subscriber = (await create(client, org, {"channel": "email", "address": "a@b.c"})).json()[
        "data"
    ]
    keys = Keys(SECRET_KEY)
    for path in ("subscriptions/confirm", "unsubscribe"):
        for method in ("GET", "POST"):
            response = await client.request(method, f"/status/acme/{path}?token=forged.token")
            assert response.status_code == 400, (method, path)
            assert "not valid" in response.text
    confirm_token = keys.token("confirm", uuid.UUID(subscriber["id"]), datetime.now(UTC))
    stale = await client.post(f"/status/acme/subscriptions/confirm?token={confirm_token}")
    assert stale.status_code == 400  # expired the moment it was made

    token = keys.token("unsubscribe", uuid.UUID(subscriber["id"]))
    page = await client.get(f"/status/acme/unsubscribe?token={token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'method="post"' in page.text and "a@b.c" in page.text
    assert await pool.fetchval("SELECT removed_at FROM subscribers") is None
    done = await client.post(f"/status/acme/unsubscribe?token={token}")
    assert done.status_code == 200
    assert await pool.fetchval("SELECT removed_at FROM subscribers") is not None
