"""A scheduled maintenance as a visitor sees the status page: during it, and after it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import httpx

from tests.conftest import KeyMaker
from workers.maintenance_clock import move_due

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect, Page

TITLE = "Database upgrade"
MAINTENANCE_BLUE = "rgb(29, 78, 216)"


async def plan(base_url: str, headers: dict[str, str]) -> dict:
    """A published page "acme" with one component, and a maintenance on it from now on (so
    that today's bar has its minutes once it is done)."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as api:
        payments = (await api.post("/v1/components", json={"name": "Payments API"})).json()
        await api.post(
            "/v1/status-pages",
            json={
                "name": "Acme",
                "slug": "acme",
                "componentIds": [payments["data"]["id"]],
                "published": True,
            },
        )
        starts = datetime.now(UTC)
        response = await api.post(
            "/v1/maintenances",
            json={
                "title": TITLE,
                "description": "Card payments may pause for **a few minutes**.",
                "componentIds": [payments["data"]["id"]],
                "scheduledFor": starts.isoformat(),
                "scheduledUntil": (starts + timedelta(hours=1)).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
        return response.json()["data"]


async def reload_until(page: Page, text: str, within: float = 5.0) -> None:
    """The server hears of the clock's change by NOTIFY; reload until the page shows it (a
    reload revalidates the copy the browser may keep for a few seconds)."""
    deadline = time.monotonic() + within
    while True:
        await page.reload()
        if text in await page.content() or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.05)


async def test_a_visitor_sees_the_maintenance_coming_under_way_and_done(
    browser: Browser,
    expect: Expect,
    live_server: str,
    make_key: KeyMaker,
    pool: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    maintenance = await plan(live_server, await make_key())
    url = f"{live_server}/status/acme"
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    page_errors: list[Exception] = []
    page.on("pageerror", lambda error: page_errors.append(error))

    await page.goto(url)
    await expect(page.get_by_role("heading", name="Upcoming maintenance")).to_be_visible()
    card = page.locator(f"#maintenance-{maintenance['id']}")
    await expect(card.get_by_role("heading", name=TITLE)).to_be_visible()
    await expect(card.locator("strong")).to_have_text("a few minutes")
    await expect(card).to_contain_text("Affects: Payments API")

    # The window opens: the worker's clock starts it, as the system.
    assert await move_due(pool, datetime.fromisoformat(maintenance["scheduledFor"])) == 1
    await reload_until(page, "Service Under Maintenance")
    banner = page.locator(".banner")
    await expect(banner).to_have_text("Service Under Maintenance")
    assert await banner.evaluate("e => getComputedStyle(e).backgroundColor") == MAINTENANCE_BLUE
    await expect(card).to_contain_text("Maintenance in progress")
    await expect(card).to_contain_text("Scheduled maintenance is currently in progress.")
    await expect(page.locator(".state")).to_have_text("Under maintenance")
    await expect(page.get_by_role("heading", name="Upcoming maintenance")).to_have_count(0)
    await page.screenshot(path=tmp_path / "during.png", full_page=True)

    # The window closes: the clock completes it, and the component is operational again.
    await move_due(pool, datetime.fromisoformat(maintenance["scheduledUntil"]))
    await reload_until(page, "All Systems Operational")
    await expect(banner).to_have_text("All Systems Operational")
    await expect(page.locator(".state")).to_have_text("Operational")
    await expect(page.locator(f"#maintenance-{maintenance['id']}")).to_have_count(0)
    today = page.locator(".bar").last
    assert await today.evaluate("e => getComputedStyle(e).backgroundColor") == MAINTENANCE_BLUE
    assert "Under maintenance" in (await today.locator(".tip").text_content() or "")
    assert page_errors == []
    await page.screenshot(path=tmp_path / "after.png", full_page=True)
