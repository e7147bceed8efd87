"""/status/{slug}/history: every past incident, a month per page, newest first."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from tests.api.conftest import Org, open_incident
from tests.api.test_page_cache import away_from_the_minute_turn, counted
from tests.api.test_status_page import post


async def published(client: AsyncTestClient, org: Org, title: str) -> dict:
    response = await client.post(
        "/v1/incidents",
        json={"title": title, "severity": "minor", "componentIds": [org.payments]},
        headers=org.headers,
    )
    incident = response.json()["data"]
    await post(client, org, incident, {"visibility": "public", "body": f"{title}: looking."})
    return incident


async def move_back(pool: asyncpg.Pool, incident: dict, days: int) -> None:
    """As if the incident had gone public `days` ago."""
    await pool.execute(
        "UPDATE incidents SET published_at = published_at - $2::interval WHERE id = $1",
        incident["id"],
        timedelta(days=days),
    )


def months_before(today: date, count: int) -> date:
    index = today.year * 12 + today.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', html)


def links(html: str) -> list[str]:
    pager = html.split('<nav class="pager"')[1].split("</nav>")[0]
    return re.findall(r'href="([^"]+)"', pager)


async def test_history_pages_through_every_past_incident_by_month(
    client: AsyncTestClient, org: Org, pool: asyncpg.Pool
) -> None:
    today = datetime.now(UTC).date()
    this_month = today.replace(day=1)
    recent = await published(client, org, "Recent outage")
    also_recent = await published(client, org, "Later outage")
    old = await published(client, org, "Old outage")
    older = await published(client, org, "Oldest outage")
    await post(
        client, org, older, {"visibility": "public", "body": "Done.", "statusChange": "resolved"}
    )
    # Old: in the month before last; oldest: five months back (the months between are empty).
    await move_back(pool, old, (today - months_before(today, 2)).days)
    await move_back(pool, older, (today - months_before(today, 5)).days)
    hidden = await open_incident(client, org)
    await post(client, org, hidden, {"visibility": "internal", "body": "Internal only."})
    assert recent and also_recent

    current = await client.get("/status/acme/history")
    assert current.status_code == 200
    assert current.headers["content-type"].startswith("text/html")
    assert f"<h2>{this_month:%B %Y}</h2>" in current.text
    assert titles(current.text) == ["Later outage", "Recent outage"]  # newest first
    assert "Internal only" not in current.text
    two_back = months_before(today, 2)
    assert links(current.text) == [f"/status/acme/history/{two_back:%Y-%m}"]  # skips empty ones

    shown = await client.get(links(current.text)[0])
    assert shown.status_code == 200 and titles(shown.text) == ["Old outage"]
    five_back = months_before(today, 5)
    assert links(shown.text) == ["/status/acme/history", f"/status/acme/history/{five_back:%Y-%m}"]

    oldest = await client.get(links(shown.text)[1])
    assert titles(oldest.text) == ["Oldest outage"]
    assert "Resolved" in oldest.text and "Done." in oldest.text
    assert links(oldest.text) == [f"/status/acme/history/{two_back:%Y-%m}"]

    # A month with nothing says so, and this month's own address shows the same page.
    empty = await client.get(f"/status/acme/history/{months_before(today, 1):%Y-%m}")
    assert empty.status_code == 200 and "No incidents reported this month." in empty.text
    same = await client.get(f"/status/acme/history/{this_month:%Y-%m}")
    assert same.content == current.content


async def test_history_refuses_what_is_no_month(client: AsyncTestClient, org: Org) -> None:
    today = datetime.now(UTC).date()
    future = months_before(today, -1)
    for month in [
        f"{future:%Y-%m}",
        "2026-13",
        "2026-00",
        "1969-12",
        "2026-1",
        "\u0662\u0660\u0662\u0666-\u0661\u0660",  # digits, but not 0-9
        "latest",
        "-",
    ]:
        response = await client.get(f"/status/acme/history/{month}")
        assert response.status_code == 404, month
    assert (await client.get("/status/nowhere/history")).status_code == 404


async def test_history_is_served_from_memory(client: AsyncTestClient, org: Org) -> None:
    await published(client, org, "Recent outage")
    await away_from_the_minute_turn()
    await client.get("/status/acme/history")
    pool = counted(client)
    for _ in range(10):
        assert (await client.get("/status/acme/history")).status_code == 200
    assert pool.statements == 0
    await published(client, org, "Another outage")
    assert titles((await client.get("/status/acme/history")).text)[0] == "Another outage"
