"""The public status page in headless chromium: what a visitor sees, and what must never run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from tests.conftest import KeyMaker

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect


# Outside the repository: a look at the page for people, not a file for the suite to compare.
SCREENSHOT = "/tmp/status_page.png"
SCREENSHOT_MOBILE = "/tmp/status_page_mobile.png"

TITLE = "Payments elevated error rate"
SCRIPT = "<script>window.pwned=1</script>"
IMAGE = '<img src="x" onerror="window.pwned=2">'
# Another host's image: a tracking pixel that must not load.
PIXEL = "http://pixel.invalid/p.gif"
PUBLIC_BODY = (
    "We are **investigating** elevated error rates on the Payments API.\n\n"
    f"{SCRIPT}\n\n"
    f"Card payments may fail. {IMAGE}\n\n"
    f"![error graph]({PIXEL})"
)
INTERNAL_BODY = "Suspect the v3.14.2 deploy; Globex escalated through their account manager."


async def publish_an_incident(base_url: str, headers: dict[str, str]) -> str:
    """A component on the published page "acme", an incident on it, one public and one internal
    update, all over HTTP; returns the incident's id."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as api:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await api.post(path, json=body)
            assert response.status_code == 201, response.text
            return response.json()["data"]

        payments = (await post("/v1/components", {"name": "Payments API"}))["id"]
        await post(
            "/v1/status-pages",
            {"name": "Acme", "slug": "acme", "componentIds": [payments], "published": True},
        )
        incident = await post(
            "/v1/incidents", {"title": TITLE, "severity": "major", "componentIds": [payments]}
        )
        updates = f"/v1/incidents/{incident['id']}/updates"
        await post(
            updates,
            {
                "body": PUBLIC_BODY,
                "visibility": "public",
                "componentStatuses": [{"componentId": payments, "status": "partial_outage"}],
            },
        )
        await post(updates, {"body": INTERNAL_BODY, "visibility": "internal"})
        return incident["id"]


async def test_a_visitor_sees_the_public_update_rendered_inert_and_nothing_internal(
    browser: Browser, expect: Expect, live_server: str, make_key: KeyMaker
) -> None:
    incident_id = await publish_an_incident(live_server, await make_key())

    desktop = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await desktop.new_page()
    page_errors: list[Exception] = []
    page.on("pageerror", lambda error: page_errors.append(error))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = await page.goto(f"{live_server}/status/acme")
    assert response is not None and response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    await expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    body = page.locator(f"#incident-{incident_id} .entry .body")
    await expect(body.locator("strong")).to_have_text("investigating")
    await expect(body).to_contain_text(
        "We are investigating elevated error rates on the Payments API."
    )
    # The markup a team typed is shown to the visitor as text: no element, no handler.
    await expect(body).to_contain_text(SCRIPT)
    await expect(body).to_contain_text(IMAGE)
    assert await body.locator("script, img").count() == 0
    assert await page.evaluate("typeof window.pwned") == "undefined"
    assert page_errors == []
    # The image is a link, and the page works under its policy: styled, with nothing refused.
    await expect(body.get_by_role("link", name="error graph")).to_have_attribute("href", PIXEL)
    banner = page.locator(".banner")
    assert await banner.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    assert not [text for text in console if "Content Security Policy" in text]
    assert all(url.startswith(live_server) for url in requested), requested

    assert INTERNAL_BODY not in await response.text()
    assert INTERNAL_BODY not in await page.content()
    await page.screenshot(path=SCREENSHOT, full_page=True)

    phone = await browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = await phone.new_page()
    await page.goto(f"{live_server}/status/acme")
    await expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await page.screenshot(path=SCREENSHOT_MOBILE, full_page=True)


async def test_an_address_with_nothing_there_shows_a_page(
    browser: Browser, expect: Expect, live_server: str
) -> None:
    page = await (await browser.new_context()).new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    response = await page.goto(f"{live_server}/")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Herald")).to_be_visible()
    await expect(page.get_by_role("link", name="API reference")).to_have_attribute(
        "href", "/schema"
    )

    response = await page.goto(f"{live_server}/status/nope")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    # Styled by its stylesheet, under the public pages' policy.
    main = page.locator("main")
    assert await main.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    assert not [text for text in console if "Content Security Policy" in text]
