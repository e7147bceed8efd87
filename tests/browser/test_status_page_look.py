"""The status page's look in chromium, at a desktop's and a phone's width, in light and dark:
no sideways scrolling, fewer and wider day bars on a phone, day figures by keyboard and touch,
groups that expand, and no accessibility violation that axe-core finds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import KeyMaker

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect, Page

OPEN_TITLE = "Card payments failing"
RESOLVED_TITLE = "Slow dashboard"
DESCRIPTION = "Card and wallet payments through the REST API"


async def publish_a_grouped_page(base_url: str, headers: dict[str, str]) -> None:
    """ "acme": a group of two components and one on its own; an open incident that took one
    member down, and a resolved one."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as api:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await api.post(path, json=body)
            assert response.status_code == 201, response.text
            return response.json()["data"]

        rest = (await post("/v1/components", {"name": "REST API", "description": DESCRIPTION}))[
            "id"
        ]
        graphql = (await post("/v1/components", {"name": "GraphQL API"}))["id"]
        web = (await post("/v1/components", {"name": "Dashboard"}))["id"]
        await post(
            "/v1/status-pages",
            {
                "name": "Acme",
                "slug": "acme",
                "componentIds": [rest, graphql, web],
                "groups": [{"name": "API", "componentIds": [rest, graphql]}],
                "published": True,
            },
        )
        incident = await post(
            "/v1/incidents", {"title": OPEN_TITLE, "severity": "critical", "componentIds": [rest]}
        )
        await post(
            f"/v1/incidents/{incident['id']}/updates",
            {
                "body": "Card payments fail; see https://example.com/acme for workarounds.",
                "visibility": "public",
                "componentStatuses": [{"componentId": rest, "status": "partial_outage"}],
            },
        )
        resolved = await post(
            "/v1/incidents", {"title": RESOLVED_TITLE, "severity": "minor", "componentIds": [web]}
        )
        for body in (
            {"body": "The dashboard is slow.", "visibility": "public"},
            {"body": "Fixed.", "visibility": "public", "statusChange": "resolved"},
        ):
            await post(f"/v1/incidents/{resolved['id']}/updates", body)


async def axe_violations(page: Page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [] if results.violations_count == 0 else [results.generate_report()]


async def shown_bars(page: Page) -> list[int]:
    """How many day bars each row shows."""
    return await page.eval_on_selector_all(
        ".bars",
        "lists => lists.map(l => [...l.children].filter(b => b.checkVisibility()).length)",
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "days"), [(1280, 90), (390, 30)], ids=["desktop", "phone"])
async def test_the_page_fits_shows_its_days_and_passes_axe(
    browser: Browser,
    expect: Expect,
    live_server: str,
    make_key: KeyMaker,
    width: int,
    days: int,
    scheme: str,
) -> None:
    await publish_a_grouped_page(live_server, await make_key())
    context = await browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,  # type: ignore[arg-type]
        has_touch=width < 500,
        is_mobile=width < 500,
    )
    page = await context.new_page()
    await page.goto(f"{live_server}/status/acme")

    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    # The group, its two members folded away, and the component on its own.
    assert await shown_bars(page) == [days, 0, 0, days]
    await expect(page.locator(".range").first).to_contain_text(f"{days} days ago")
    # The banner says why it is red although the group's worst is a partial outage.
    banner = page.get_by_role("region", name="Overall status")
    await expect(banner).to_contain_text("Major Service Outage")
    await expect(banner.get_by_role("link", name=OPEN_TITLE)).to_be_visible()
    await expect(banner).to_contain_text("critical impact")
    await expect(page.locator(".incident.critical .affected")).to_have_text("Affected: REST API")

    await page.get_by_text("2 components in API").click()
    assert await shown_bars(page) == [days] * 4
    await expect(page.get_by_text(DESCRIPTION)).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    assert await axe_violations(page) == []


async def test_a_days_figures_show_on_keyboard_focus_and_on_touch(
    browser: Browser, expect: Expect, live_server: str, make_key: KeyMaker
) -> None:
    await publish_a_grouped_page(live_server, await make_key())
    desktop = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await desktop.goto(f"{live_server}/status/acme")
    today = desktop.locator(".bars").first.locator(".bar").last
    tip = today.locator(".tip")
    assert (await tip.bounding_box() or {"width": 0})["width"] <= 1
    # Each day is a stop of the keyboard's tab order, and a link passes them all.
    skip = desktop.get_by_role("link", name="Skip past the day bars")
    await skip.focus()
    assert (await skip.bounding_box() or {"width": 0})["width"] > 100
    await desktop.keyboard.press("Enter")
    await desktop.keyboard.press("Tab")
    await expect(desktop.get_by_role("link", name=RESOLVED_TITLE)).to_be_focused()
    await desktop.locator(".bars").first.locator(".bar").nth(88).focus()
    await desktop.keyboard.press("Tab")
    await expect(today).to_be_focused()
    assert (await tip.bounding_box() or {"width": 0})["width"] > 100
    for text in ("% uptime", "Partial outage: 1 min", OPEN_TITLE):
        await expect(tip).to_contain_text(text)
    assert await desktop.evaluate("document.documentElement.scrollWidth") <= 1280

    phone = await (
        await browser.new_context(
            viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True
        )
    ).new_page()
    await phone.goto(f"{live_server}/status/acme")
    today = phone.locator(".bars").first.locator(".bar").last
    await today.tap()
    tip = today.locator(".tip")
    assert (await tip.bounding_box() or {"width": 0})["width"] > 100
    await expect(tip).to_contain_text(OPEN_TITLE)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
