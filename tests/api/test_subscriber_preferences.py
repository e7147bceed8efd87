"""What a subscriber hears: chosen through the API, or on the page every message links to."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import asyncpg
from litestar.testing import AsyncTestClient

from app.crypto import Keys
from tests.api import test_subscribers
from tests.api.conftest import Org, open_incident
from tests.api.test_subscribers import SECRET_KEY, create
from tests.conftest import KeyMaker
from workers.dispatcher import dispatch

TOPICS = ["incidents", "maintenances", "componentChanges"]
client = test_subscribers.client  # the API with SECRET_KEY set


async def edit(client: AsyncTestClient, org: Org, subscriber: dict, body: object):
    page = subscriber["statusPageId"]
    return await client.patch(
        f"/v1/status-pages/{page}/subscribers/{subscriber['id']}", json=body, headers=org.headers
    )


async def test_incidents_by_default_and_every_choice_through_the_api(
    client: AsyncTestClient, org: Org
) -> None:
    hook = await create(client, org, {"channel": "webhook", "url": "https://h.example.com/"})
    assert hook.status_code == 201, hook.text
    created = hook.json()["data"]
    assert [created[topic] for topic in TOPICS] == [True, True, False]

    chosen = await create(
        client,
        org,
        {
            "channel": "email",
            "address": "ops@example.com",
            "incidents": False,
            "componentChanges": True,
        },
    )
    assert chosen.status_code == 201, chosen.text
    assert [chosen.json()["data"][topic] for topic in TOPICS] == [False, True, True]

    changed = await edit(client, org, created, {"componentChanges": True, "maintenances": False})
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert [data[topic] for topic in TOPICS] == [True, False, True]
    assert "secret" not in data
    narrowed = await edit(client, org, created, {"componentIds": [org.payments]})
    assert narrowed.json()["data"]["componentIds"] == [org.payments]
    untouched = await edit(client, org, created, {})
    assert untouched.status_code == 200
    shown = (
        await client.get(
            f"/v1/status-pages/{created['statusPageId']}/subscribers/{created['id']}",
            headers=org.headers,
        )
    ).json()["data"]
    assert [shown[topic] for topic in TOPICS] == [True, False, True]
    assert shown["componentIds"] == [org.payments]


async def test_hearing_nothing_or_bad_choices_are_refused_and_change_nothing(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool, make_key: KeyMaker
) -> None:
    nothing = {"incidents": False, "maintenances": False, "componentChanges": False}
    refused = await create(client, org, {"channel": "email", "address": "a@b.co", **nothing})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "validation_error"
    assert [f["field"] for f in error["fields"]] == TOPICS
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0

    subscriber = (await create(client, org, {"channel": "email", "address": "a@b.co"})).json()[
        "data"
    ]
    before = await pool.fetchrow("SELECT * FROM subscribers")
    cases = [
        (nothing, 422, "validation_error"),
        ({"incidents": False, "maintenances": False}, 422, "validation_error"),
        ({"incidents": "yes"}, 422, "validation_error"),
        ({"componentIds": [org.search]}, 422, "validation_error"),
        ({"componentIds": ["not-an-id"]}, 422, "validation_error"),
        ([], 422, "validation_error"),
    ]
    for body, status, code in cases:
        response = await edit(client, org, subscriber, body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code, body
    missing = await edit(client, org, {**subscriber, "id": str(uuid.uuid4())}, {})
    assert missing.status_code == 404
    forbidden = await client.patch(
        f"/v1/status-pages/{subscriber['statusPageId']}/subscribers/{subscriber['id']}",
        json={"incidents": False, "componentChanges": True},
        headers=await make_key(name="Reader", scopes=("read",)),
    )
    assert forbidden.status_code == 403
    assert await pool.fetchrow("SELECT * FROM subscribers") == before


async def test_a_choice_cancels_what_is_owed_and_no_longer_wanted(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    subscriber = (
        await create(client, org, {"channel": "email", "address": "reader@example.com"})
    ).json()["data"]
    incident = await open_incident(client, org)
    posted = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"visibility": "public", "body": "Investigating."},
        headers=org.headers,
    )
    assert posted.status_code == 201
    async with pool.acquire() as conn:
        assert (await dispatch(conn, 5)).read > 0
    assert await pool.fetchval("SELECT status FROM deliveries") == "pending"
    await edit(client, org, subscriber, {"maintenances": False})
    assert await pool.fetchval("SELECT status FROM deliveries") == "pending"
    await edit(client, org, subscriber, {"incidents": False, "componentChanges": True})
    assert await pool.fetchval("SELECT status FROM deliveries") == "cancelled"


def checked(html: str) -> set[str]:
    """The names (and values) of the checked boxes of the manage page."""
    boxes = re.findall(r"<input ([^>]*)>", html)
    return {
        re.search(r'value="([^"]+)"', box)[1]
        if 'value="' in box
        else re.search(r'name="([^"]+)"', box)[1]
        for box in boxes
        if "checked" in box
    }


async def test_the_manage_page_shows_and_saves_the_choice_without_an_account(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    subscriber = (
        await create(client, org, {"channel": "email", "address": "reader@example.com"})
    ).json()["data"]
    token = Keys(SECRET_KEY).token("unsubscribe", uuid.UUID(subscriber["id"]))
    address = f"/status/acme/subscription?token={token}"

    page = await client.get(address)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "reader@example.com" in page.text and "Payments API" in page.text
    assert checked(page.text) == {"incidents", "maintenances", org.payments}
    assert f'action="/status/acme/unsubscribe?token={token}"' in page.text
    row = await pool.fetchrow("SELECT * FROM subscribers")

    nothing = await client.post(address, data={"componentIds": org.payments})
    assert nothing.status_code == 422 and "at least one kind" in nothing.text
    no_component = await client.post(address, data={"incidents": "on"})
    assert no_component.status_code == 422
    alien = await client.post(address, data={"incidents": "on", "componentIds": org.search})
    assert alien.status_code == 422
    assert await pool.fetchrow("SELECT * FROM subscribers") == row  # a GET and refusals

    saved = await client.post(
        address, data={"componentChanges": "on", "componentIds": org.payments}
    )
    assert saved.status_code == 200 and "Saved" in saved.text
    assert checked(saved.text) == {"componentChanges", org.payments}
    shown = (
        await client.get(
            f"/v1/status-pages/{subscriber['statusPageId']}/subscribers/{subscriber['id']}",
            headers=org.headers,
        )
    ).json()["data"]
    assert [shown[topic] for topic in TOPICS] == [False, False, True]
    # Every component checked means every component, those the page shows later too.
    assert shown["componentIds"] == []

    for method in ("GET", "POST"):
        forged = await client.request(method, "/status/acme/subscription?token=forged.token")
        assert forged.status_code == 400 and "not valid" in forged.text
    await client.post(f"/status/acme/unsubscribe?token={token}")
    gone = await client.get(address)
    assert gone.status_code == 200 and "no Acme status updates any more" in gone.text
    assert "<form" not in gone.text


async def test_a_confirmed_address_is_offered_the_choice_at_once(
    client: AsyncTestClient, org: Org
) -> None:
    accepted = await client.post("/status/acme/subscribe", json={"email": "new@example.com"})
    assert accepted.status_code == 202
    listed = (
        await client.get(
            f"/v1/status-pages/{await test_subscribers.page_id(client, org)}/subscribers",
            headers=org.headers,
        )
    ).json()["data"]
    keys = Keys(SECRET_KEY)
    confirm = keys.token("confirm", uuid.UUID(listed[0]["id"]), datetime(2999, 1, 1, tzinfo=UTC))
    done = await client.post(f"/status/acme/subscriptions/confirm?token={confirm}")
    assert done.status_code == 200
    [link] = re.findall(r'href="(/status/acme/subscription\?token=[^"]+)"', done.text)
    manage = await client.get(link)
    assert manage.status_code == 200 and "new@example.com" in manage.text
    assert checked(manage.text) == {"incidents", "maintenances", org.payments}


async def test_the_public_subscribe_endpoint_takes_the_choice_in_json(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    nothing = {"incidents": False, "maintenances": False}
    refused = await client.post("/status/acme/subscribe", json={"email": "a@b.co", **nothing})
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["fields"]] == TOPICS
    assert await pool.fetchval("SELECT count(*) FROM subscribers") == 0

    chosen = {"incidents": False, "componentChanges": True, "componentIds": [org.payments]}
    accepted = await client.post("/status/acme/subscribe", json={"email": "a@b.co", **chosen})
    assert accepted.status_code == 202
    [listed] = (
        await client.get(
            f"/v1/status-pages/{await test_subscribers.page_id(client, org)}/subscribers",
            headers=org.headers,
        )
    ).json()["data"]
    assert [listed[topic] for topic in TOPICS] == [False, True, True]
    assert listed["componentIds"] == [org.payments]
