"""Mail refusals: one address the server will not take fails alone, and only once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, open_incident
from tests.workers.conftest import StartWorker
from tests.workers.helpers import add_email, deliveries, page_of, post_update, settled
from tests.workers.services import Mailbox, eventually

INTERNATIONAL = "ren\u00e9@example.com"


@pytest.fixture
def ascii_only() -> Iterator[Mailbox]:
    """A mail server that does not offer SMTPUTF8."""
    server = Mailbox(smtputf8=False)
    server.start()
    yield server
    server.stop()


async def test_refused_addresses_fail_alone_at_their_first_attempt(
    client: AsyncTestClient, org: Org, ascii_only: Mailbox, start_worker: StartWorker
) -> None:
    ascii_only.refuse.add("nobody@example.com")
    readers = [f"reader{n}@example.com" for n in range(6)]
    for address in [*readers[:2], INTERNATIONAL, "nobody@example.com", *readers[2:]]:
        await add_email(client, org, address)
    start_worker(smtp_url=ascii_only.url)
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 8), what="eight settled mails")
    rows = {row["subscriberId"]: row for row in await deliveries(client, org)}
    page = await page_of(client, org)
    listed = await client.get(f"/v1/status-pages/{page}/subscribers", headers=org.headers)
    subscribers = listed.json()["data"]
    by_address = {s["address"]: rows[s["id"]] for s in subscribers}
    assert {address: row["attempts"] for address, row in by_address.items()} == dict.fromkeys(
        by_address, 1
    )
    assert by_address[INTERNATIONAL]["status"] == "failed"
    assert "SMTPUTF8" in by_address[INTERNATIONAL]["lastError"]
    assert by_address["nobody@example.com"]["status"] == "failed"
    assert by_address["nobody@example.com"]["lastError"].startswith("SMTP 550")
    assert {by_address[address]["status"] for address in readers} == {"delivered"}
    assert sorted(str(mail["To"]) for mail in ascii_only.messages) == sorted(readers)


async def test_a_server_with_smtputf8_takes_a_non_ascii_address(
    client: AsyncTestClient, org: Org, mailbox: Mailbox, start_worker: StartWorker
) -> None:
    await add_email(client, org, INTERNATIONAL)
    start_worker()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 1), what="one settled mail")
    [row] = await deliveries(client, org)
    assert (row["status"], row["attempts"]) == ("delivered", 1)
    [mail] = mailbox.messages
    assert str(mail["To"]) == INTERNATIONAL
