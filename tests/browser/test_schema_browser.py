"""The API reference at /schema in headless chromium, with every other origin cut off."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.conftest import KeyMaker

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect, Route


# Outside the repository: a look at the page for people, not a file for the suite to compare.
SCREENSHOT = "/tmp/schema_page.png"


async def test_the_reference_renders_offline_and_tries_a_call_with_a_key(
    browser: Browser, expect: Expect, live_server: str, make_key: KeyMaker
) -> None:
    key = (await make_key())["Authorization"].removeprefix("Bearer ")
    here = urlsplit(live_server).netloc
    elsewhere: list[str] = []

    async def offline(route: Route) -> None:
        # As on a machine without internet: anything not served by Herald fails to load.
        if urlsplit(route.request.url).netloc == here:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.route("**/*", offline)
    page = await context.new_page()
    page_errors: list[Exception] = []
    page.on("pageerror", lambda error: page_errors.append(error))
    response = await page.goto(f"{live_server}/schema")
    assert response is not None and response.status == 200

    await expect(page.get_by_text("Open an incident", exact=True)).to_be_visible()
    await expect(page.get_by_text("List components", exact=True)).to_be_visible()
    await page.screenshot(path=SCREENSHOT, full_page=False)

    # "Authorize" offers both schemes; the key goes in the Bearer one.
    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    await expect(dialog.get_by_text("BearerAuth")).to_be_visible()
    await expect(dialog.get_by_text("ApiKeyAuth")).to_be_visible()
    bearer = dialog.locator(".auth-container").filter(has_text="BearerAuth")
    await bearer.locator("input").fill(key)
    await bearer.locator("button.authorize").click()
    await dialog.locator("button.btn-done").first.click()

    operation = page.locator(".opblock").filter(has_text="List components")
    await operation.get_by_text("List components", exact=True).click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody .response-col_status").first
    await expect(live).to_have_text("200")

    assert elsewhere == []
    assert page_errors == []
