"""From a posted update to webhooks and mails: fan-out, filters, what is never sent."""

from __future__ import annotations

import asyncio
from collections import Counter

from litestar.testing import AsyncTestClient

from app.config import Settings
from tests.api.conftest import Org, open_incident
from tests.workers.conftest import StartWorker
from tests.workers.helpers import (
    add_email,
    add_webhook,
    deliveries,
    jobs_done,
    post_update,
    running_jobs,
    settled,
)
from tests.workers.services import Mailbox, Receiver, eventually

INVESTIGATING = "We are investigating elevated error rates on the Payments API."


async def test_fan_out_reaches_every_subscriber_once_signed_and_in_statuspage_shape(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    mailbox: Mailbox,
    start_worker: StartWorker,
) -> None:
    hooks = 60
    for n in range(hooks):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    for n in range(5):
        await add_email(client, org, f"reader{n}@example.com")
    start_worker()
    incident = await open_incident(client, org)
    update = await post_update(
        client,
        org,
        incident,
        body=INVESTIGATING,
        componentStatuses=[{"componentId": org.payments, "status": "partial_outage"}],
    )

    await eventually(settled(client, org, hooks + 5), what="every delivery settled")
    assert Counter(item.path for item in receiver.received) == {
        f"/hooks/{n}": 1 for n in range(hooks)
    }
    assert all(item.signed for item in receiver.received)
    assert len(set(receiver.keys())) == hooks

    payload = receiver.received[0].body
    assert set(payload) == {"meta", "page", "incident"}
    assert set(payload["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert payload["meta"]["unsubscribe"].startswith(
        "http://status.test/status/acme/subscription?token="
    )
    assert payload["page"]["status_indicator"] == "critical"
    assert payload["page"]["status_description"] == "Major Service Outage"
    pushed = payload["incident"]
    assert pushed["id"] == incident["id"]
    assert pushed["name"] == incident["title"]
    assert pushed["status"] == "investigating"
    assert pushed["impact"] == "critical"
    assert [u["id"] for u in pushed["incident_updates"]] == [update["id"]]
    assert pushed["incident_updates"][0]["body"] == INVESTIGATING
    assert pushed["incident_updates"][0]["status"] == "investigating"
    # The webhook carries the very incident document the public API serves.
    served = (await client.get("/status/acme/api/v2/incidents.json")).json()["incidents"]
    assert [pushed] == served
    assert pushed["shortlink"] == f"http://status.test/status/acme/incidents/{incident['id']}"

    mail = mailbox.to("reader0@example.com")[0]
    assert mail["Subject"] == f"[Acme] Investigating: {incident['title']}"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<http://status.test/status/acme/unsubscribe?token=")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert INVESTIGATING in text and INVESTIGATING in html
    assert "Payments API: Partial outage" in text
    # The mail leads to the incident's own page, which stays after the main page moves on.
    assert f"Incident page: {pushed['shortlink']}" in text
    assert f'<a href="{pushed["shortlink"]}">View the incident</a>' in html

    rows = await deliveries(client, org)
    assert {row["status"] for row in rows} == {"delivered"}
    assert {row["updateId"] for row in rows} == {update["id"]}


async def test_component_filter_and_page_coverage_decide_who_hears(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    response = await client.post(
        "/v1/status-pages",
        json={
            "name": "Acme everything",
            "slug": "acme-all",
            "componentIds": [org.payments, org.search],
            "published": True,
        },
        headers=org.headers,
    )
    everything = response.json()["data"]["id"]
    await add_webhook(client, org, receiver, "/acme")  # page shows payments only
    await add_webhook(client, org, receiver, "/all", page_id=everything)
    await add_webhook(client, org, receiver, "/all-search", [org.search], page_id=everything)
    await add_webhook(client, org, receiver, "/all-payments", [org.payments], page_id=everything)
    start_worker()

    payments = await open_incident(client, org, components=[org.payments])
    await post_update(client, org, payments, body="Payments are slow.")
    search = await open_incident(client, org, components=[org.search])
    await post_update(client, org, search, body="Search is slow.")

    async def arrived() -> bool:
        return len(receiver.received) >= 5

    await eventually(arrived, what="five webhooks")
    heard = {(item.path, item.body["incident"]["id"]) for item in receiver.received}
    assert heard == {
        ("/acme", payments["id"]),
        ("/all", payments["id"]),
        ("/all-payments", payments["id"]),
        ("/all", search["id"]),
        ("/all-search", search["id"]),
    }
    # Each page shows only its own components of the incident.
    by_path = {item.path: item.body for item in receiver.received if item.path == "/acme"}
    assert [c["id"] for c in by_path["/acme"]["incident"]["components"]] == [org.payments]


async def test_internal_unnotified_and_redacted_updates_are_never_sent(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    mailbox: Mailbox,
    start_worker: StartWorker,
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    await add_email(client, org, "reader@example.com")
    incident = await open_incident(client, org)
    await post_update(
        client, org, incident, visibility="internal", body="root cause: the db password"
    )
    await post_update(client, org, incident, body="Quiet fix.", notifySubscribers=False)
    taken_back = await post_update(client, org, incident, body="Blaming our vendor, oops.")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{taken_back['id']}/redact", headers=org.headers
    )
    assert response.status_code == 200
    start_worker()
    told = await post_update(
        client, org, incident, body="We found the cause.", statusChange="identified"
    )

    await eventually(settled(client, org, 2), what="the one update told")
    assert [item.body["incident"]["incident_updates"][0]["id"] for item in receiver.received] == [
        told["id"]
    ]
    seen = repr([item.body for item in receiver.received]) + repr(
        [m.get_body(("plain",)).get_content() for m in mailbox.messages]
    )
    assert "db password" not in seen and "vendor" not in seen
    assert "Quiet fix." in seen  # public, just not announced: later messages may show it
    updates = receiver.received[0].body["incident"]["incident_updates"]
    assert updates[0]["status"] == "identified"
    assert {u["id"]: u["body"] for u in updates}[taken_back["id"]] == "This update was redacted."
    assert len(mailbox.messages) == 1
    rows = await deliveries(client, org)
    assert {row["updateId"] for row in rows} == {told["id"]}


async def test_a_redaction_cancels_what_is_still_owed(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    start_worker: StartWorker,
    settings: Settings,
) -> None:
    await add_webhook(client, org, receiver, "/flaky")
    receiver.answer = lambda path, count: 503
    start_worker(delivery_attempts=100, retry_cap=0.3)
    incident = await open_incident(client, org)
    update = await post_update(client, org, incident, body="Blaming our vendor, oops.")

    async def retrying() -> bool:
        return len(receiver.attempts) >= 2

    await eventually(retrying, what="a retry")
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates/{update['id']}/redact", headers=org.headers
    )
    assert response.status_code == 200
    await eventually(settled(client, org, 1), what="the cancellation")

    # An attempt already on the wire lands, and fails, before the receiver starts to accept;
    # after that, every job still queued (a deferred retry among them) must send nothing.
    async def none_running() -> bool:
        return await running_jobs(settings.redis_url) == 0

    await eventually(none_running, what="the attempt on the wire")
    receiver.answer = lambda path, count: 200
    attempts = len(receiver.attempts)
    await eventually(jobs_done(settings.redis_url), what="every queued job")
    [row] = await deliveries(client, org)
    assert row["status"] == "cancelled"
    assert receiver.received == []
    assert len(receiver.attempts) == attempts


async def test_a_receiver_failing_twice_gets_it_once_with_one_key(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    receiver.answer = lambda path, count: 500 if count <= 2 else 200
    start_worker()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 1), what="delivery")
    [row] = await deliveries(client, org)
    assert row["status"] == "delivered"
    assert row["attempts"] == 3
    assert row["lastError"] is None
    assert len(receiver.received) == 1
    assert [key for _, key in receiver.attempts] == [row["idempotencyKey"]] * 3


async def test_a_receiver_slower_than_the_timeout_is_sent_again_under_the_same_key(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    await add_webhook(client, org, receiver, "/slow")
    await add_webhook(client, org, receiver, "/quick")
    receiver.slow[("/slow", 1)] = 1.5
    start_worker(send_timeout=0.5)
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 2), what="two settled deliveries")
    rows = await deliveries(client, org)
    assert sorted((row["status"], row["attempts"]) for row in rows) == [
        ("delivered", 1),
        ("delivered", 2),
    ]
    slow = [key for path, key in receiver.attempts if path == "/slow"]
    assert len(slow) == 2 and slow[0] == slow[1]
    assert [path for path, _ in receiver.attempts].count("/quick") == 1


class OddReceiver:
    """Answers no well-behaved server gives: /cut says 200 and breaks its body off; /odd says
    503 with a Retry-After that is a digit to str.isdigit() but no number, then 200."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.secrets: dict[str, str] = {}  # add_webhook writes them down; unchecked here
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        length = next(
            int(line.split(":", 1)[1])
            for line in head.split("\r\n")
            if line.lower().startswith("content-length:")
        )
        await reader.readexactly(length)
        path = head.split(" ", 2)[1]
        self.calls[path] += 1
        if path == "/cut":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok")
        elif self.calls[path] == 1:
            writer.write("HTTP/1.1 503 Busy\r\nRetry-After: \u00b2\r\n".encode())
            writer.write(b"Content-Length: 0\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()


async def test_odd_answers_are_judged_by_their_status(
    client: AsyncTestClient, org: Org, start_worker: StartWorker
) -> None:
    odd = OddReceiver()
    server = await asyncio.start_server(odd.serve, "127.0.0.1", 0)
    odd.port = server.sockets[0].getsockname()[1]
    async with server:
        await add_webhook(client, org, odd, "/cut")
        await add_webhook(client, org, odd, "/odd")
        start_worker()
        incident = await open_incident(client, org)
        await post_update(client, org, incident, body="Investigating.")
        await eventually(settled(client, org, 2), what="two settled deliveries")
    rows = await deliveries(client, org)
    assert sorted((row["status"], row["attempts"]) for row in rows) == [
        ("delivered", 1),
        ("delivered", 2),
    ]
    assert odd.calls == {"/cut": 1, "/odd": 2}


async def test_dead_after_the_budget_then_a_manual_retry_delivers(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    await add_webhook(client, org, receiver, "/down")
    receiver.answer = lambda path, count: 500
    start_worker()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 1), what="a dead delivery")
    [row] = await deliveries(client, org, status="dead")
    assert row["attempts"] == 4  # the settings' budget
    assert row["lastError"] == "HTTP 500"

    receiver.answer = lambda path, count: 200
    page = row["statusPageId"]
    response = await client.post(
        f"/v1/status-pages/{page}/deliveries/{row['id']}/retry", headers=org.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "pending"
    await eventually(settled(client, org, 1), what="the retried delivery")
    [row] = await deliveries(client, org)
    assert row["status"] == "delivered" and row["attempts"] == 5
    assert len(receiver.received) == 1


async def test_client_errors_and_redirects_fail_without_retry(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    await add_webhook(client, org, receiver, "/gone")
    await add_webhook(client, org, receiver, "/moved")
    await add_webhook(client, org, receiver, "/busy")
    answers = {"/gone": 410, "/moved": 302, "/busy": 429}
    receiver.answer = lambda path, count: answers[path] if count == 1 else 200
    start_worker()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 3), what="three settled deliveries")
    rows = {row["subscriberId"]: row for row in await deliveries(client, org)}
    outcomes = sorted((row["status"], row["attempts"], row["lastError"]) for row in rows.values())
    assert outcomes == [
        ("delivered", 2, None),
        ("failed", 1, "HTTP 302 (redirects are not followed)"),
        ("failed", 1, "HTTP 410"),
    ]
    assert sorted(path for path, _ in receiver.attempts) == ["/busy", "/busy", "/gone", "/moved"]


async def test_private_addresses_are_refused_where_the_connection_is_made(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    # The API allows these names (it cannot know what they resolve to); the worker must not.
    receiver.secrets["/hook"] = "unused"
    page = (await client.get("/v1/status-pages", headers=org.headers)).json()["data"][0]["id"]
    hosts = ("localhost", "127.0.0.1", "[::ffff:127.0.0.1]", "127.1", "2130706433")
    for host in hosts:
        response = await client.post(
            f"/v1/status-pages/{page}/subscribers",
            json={"channel": "webhook", "url": f"http://{host}:{receiver.port}/hook"},
            headers=org.headers,
        )
        assert response.status_code == 201, response.text
    start_worker(webhook_allow_private=False)
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, len(hosts)), what="every one refused")
    rows = await deliveries(client, org)
    assert {row["status"] for row in rows} == {"failed"}
    # Shorthand IPv4 is refused as a URL before any lookup; the others where they connect.
    assert all(
        "not a public address" in row["lastError"] or "not a URL" in row["lastError"]
        for row in rows
    )
    assert sum("not a public address" in row["lastError"] for row in rows) >= 3
    assert receiver.attempts == []


async def test_a_refused_recipient_fails_and_the_others_get_their_mail(
    client: AsyncTestClient, org: Org, mailbox: Mailbox, start_worker: StartWorker
) -> None:
    mailbox.refuse.add("nobody@example.com")
    await add_email(client, org, "nobody@example.com")
    await add_email(client, org, "reader@example.com")
    start_worker()
    incident = await open_incident(client, org)
    await post_update(client, org, incident, body="Investigating.", statusChange="identified")

    await eventually(settled(client, org, 2), what="two settled mails")
    rows = sorted((row["status"], row["lastError"] or "") for row in await deliveries(client, org))
    assert rows[0] == ("delivered", "")
    assert rows[1][0] == "failed" and rows[1][1].startswith("SMTP 550")
    [mail] = mailbox.to("reader@example.com")
    assert mail["Subject"] == f"[Acme] Identified: {incident['title']}"
    assert mail["Message-ID"].endswith("@acme.test>")
    assert mail["References"] == f"<incident-{incident['id']}@acme.test>"


async def test_a_title_on_two_lines_is_one_subject_line(
    client: AsyncTestClient, org: Org, mailbox: Mailbox, start_worker: StartWorker
) -> None:
    await add_email(client, org, "reader@example.com")
    start_worker()
    response = await client.post(
        "/v1/incidents",
        json={
            "title": "Payments\r\nBcc: someone@example.com",
            "severity": "minor",
            "componentIds": [org.payments],
        },
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    incident = response.json()["data"]
    await post_update(client, org, incident, body="Investigating.")

    await eventually(settled(client, org, 1), what="one settled mail")
    assert [row["status"] for row in await deliveries(client, org)] == ["delivered"]
    [mail] = mailbox.to("reader@example.com")
    assert mail["Subject"] == "[Acme] Investigating: Payments Bcc: someone@example.com"
    assert mail["Bcc"] is None


async def test_each_subscriber_hears_of_updates_in_the_order_they_were_posted(
    client: AsyncTestClient, org: Org, receiver: Receiver, start_worker: StartWorker
) -> None:
    for n in range(8):
        await add_webhook(client, org, receiver, f"/hooks/{n}")
    # /hooks/0 fails its first three calls: what follows must wait for the first update.
    receiver.answer = lambda path, count: 500 if path == "/hooks/0" and count <= 3 else 200
    start_worker()
    incident = await open_incident(client, org)
    posted = [
        (await post_update(client, org, incident, body=f"Update {n}."))["id"] for n in range(4)
    ]

    await eventually(settled(client, org, 8 * 4), what="every delivery")
    heard: dict[str, list[str]] = {}
    for item in receiver.received:
        heard.setdefault(item.path, []).append(item.body["incident"]["incident_updates"][0]["id"])
    assert heard == {f"/hooks/{n}": posted for n in range(8)}


async def test_an_internal_updates_component_statuses_reach_no_webhook_or_mail(
    client: AsyncTestClient,
    org: Org,
    receiver: Receiver,
    mailbox: Mailbox,
    start_worker: StartWorker,
) -> None:
    await add_webhook(client, org, receiver, "/hook")
    await add_email(client, org, "reader@example.com")
    start_worker()
    # Minor, so that the page indicator shows what the components say, not the severity.
    response = await client.post(
        "/v1/incidents",
        json={"title": "Slow payments", "severity": "minor", "componentIds": [org.payments]},
        headers=org.headers,
    )
    incident = response.json()["data"]
    transition = await post_update(
        client,
        org,
        incident,
        visibility="internal",
        body="Full outage of the payments cluster, failing over.",
        statusChange="identified",
        componentStatuses=[{"componentId": org.payments, "status": "full_outage"}],
    )
    update = await post_update(client, org, incident, body=INVESTIGATING)

    await eventually(settled(client, org, 2), what="the webhook and the mail settled")
    [hook] = receiver.received
    assert hook.body["page"]["status_indicator"] == "minor"
    pushed = hook.body["incident"]
    assert [c["status"] for c in pushed["components"]] == ["operational"]
    assert [(u["id"], u["body"], u["affected_components"]) for u in pushed["incident_updates"]] == [
        (update["id"], INVESTIGATING, None),
        (transition["id"], "Status changed to Identified.", None),
    ]
    [mail] = mailbox.to("reader@example.com")
    assert mail["Subject"] == "[Acme] Identified: Slow payments"
    text = mail.get_body(("plain",)).get_content()
    assert "Full outage" not in text and "Affected" not in text
