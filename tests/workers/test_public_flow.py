"""An address from the status page's form: confirm, get updates, one-click unsubscribe."""

from __future__ import annotations

import re

import asyncpg
from litestar.testing import AsyncTestClient

from app.store.subscription_requests import MAILS_PER_ADDRESS, REQUESTS_PER_CLIENT
from tests.api.conftest import Org, open_incident
from tests.workers.conftest import StartWorker
from tests.workers.helpers import deliveries, post_update, settled
from tests.workers.services import Mailbox, eventually

ADDRESS = "reader@example.com"


def link(text: str, path: str) -> str:
    found = re.search(rf"http://status\.test(/status/acme/{path}\?token=[\w.-]+)", text)
    assert found, text
    return found.group(1)


async def test_double_opt_in_then_updates_then_one_click_unsubscribe(
    client: AsyncTestClient,
    org: Org,
    pool: asyncpg.Pool,
    mailbox: Mailbox,
    start_worker: StartWorker,
) -> None:
    start_worker()
    response = await client.post("/status/acme/subscribe", data={"email": ADDRESS})
    assert response.status_code == 202
    assert "Check your inbox" in response.text

    async def one_mail() -> bool:
        return len(mailbox.to(ADDRESS)) == 1

    await eventually(one_mail, what="the confirmation mail")
    [confirmation] = mailbox.to(ADDRESS)
    assert confirmation["Subject"] == "Confirm your subscription to Acme status updates"
    assert confirmation["List-Unsubscribe"] is None
    confirm = link(confirmation.get_body(("plain",)).get_content(), "subscriptions/confirm")

    # Unconfirmed, the address is told nothing.
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Before confirming.")
    # A mail scanner fetching the link confirms nothing.
    page = await client.get(confirm)
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert await pool.fetchval("SELECT confirmed_at FROM subscribers") is None
    confirmed = await client.post(confirm)
    assert confirmed.status_code == 200 and "Subscribed" in confirmed.text

    await post_update(client, org, incident, body="After confirming.")

    async def update_mail() -> bool:
        return len(mailbox.to(ADDRESS)) == 2

    await eventually(update_mail, what="the update mail")
    await eventually(settled(client, org, 2), what="its row settled")
    mail = mailbox.to(ADDRESS)[1]
    assert "After confirming." in mail.get_body(("plain",)).get_content()
    unsubscribe = mail["List-Unsubscribe"].strip("<>").removeprefix("http://status.test")

    page = await client.get(unsubscribe)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    # RFC 8058: the mail client POSTs this body to the List-Unsubscribe address.
    response = await client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Unsubscribed" in response.text
    assert (await client.post(unsubscribe)).status_code == 200  # twice is fine

    await post_update(client, org, incident, body="After leaving.")
    await eventually(settled(client, org, 2), what="settled deliveries")
    assert len(mailbox.to(ADDRESS)) == 2
    kinds = sorted((row["kind"], row["status"]) for row in await deliveries(client, org))
    assert kinds == [("confirmation", "delivered"), ("update", "delivered")]


async def test_the_form_cannot_bomb_an_inbox(
    client: AsyncTestClient, org: Org, mailbox: Mailbox, start_worker: StartWorker
) -> None:
    start_worker()
    for _ in range(5):
        response = await client.post("/status/acme/subscribe", data={"email": ADDRESS})
        assert response.status_code == 202  # the same answer, mail or not
    await eventually(settled(client, org, MAILS_PER_ADDRESS), what="the confirmations")
    assert len(mailbox.to(ADDRESS)) == MAILS_PER_ADDRESS
    statuses = [
        (await client.post("/status/acme/subscribe", json={"email": f"other{n}@example.com"}))
        for n in range(REQUESTS_PER_CLIENT - 5 + 1)
    ]
    assert [r.status_code for r in statuses] == [202] * (REQUESTS_PER_CLIENT - 5) + [429]
    response = statuses[-1]
    assert response.json()["error"]["code"] == "rate_limited"
