"""Screenshots of a status page for the README: Herald on a scratch database with a page of
component groups, an open incident, resolved ones and three months of history, shot by chromium.

    uv run python -m bench.screenshots        # writes docs/screenshots/*.png

Needs PostgreSQL (TEST_ADMIN_DATABASE_URL, as the tests), Redis (REDIS_URL) and /usr/bin/chromium.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import uvicorn
from playwright.async_api import Page, async_playwright

from app.api.app import create_app
from app.config import DEFAULT_REDIS_URL, Settings
from app.domain.commands import OpenIncident, PostUpdate
from app.domain.values import Actor, ComponentState, ComponentStatus, IncidentStatus, Severity
from app.handle import handle
from app.ids import new_id
from app.store.api_keys import ensure_member, ensure_organization
from app.store.catalog import create_component, create_status_page
from app.store.event_store import EventMetadata
from app.store.migrate import migrate
from testkit.databases import scratch_database

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SLUG = "acme"

# Component name -> description, in the page's order; groups name their members.
COMPONENTS = {
    "REST API": "api.acme.example: every /v1 endpoint",
    "GraphQL API": None,
    "Webhooks": "Deliveries to your endpoints",
    "Dashboard": None,
    "Mobile apps": "iOS and Android",
    "Card payments": "Card and wallet payments at checkout",
    "Email notifications": None,
}
GROUPS = {"API": ("REST API", "GraphQL API", "Webhooks"), "Apps": ("Dashboard", "Mobile apps")}

Step = tuple[float, IncidentStatus | None, str, dict[str, ComponentState]]


class Demo:
    """An organization's page and its history, written through the command handler."""

    def __init__(self, conn: asyncpg.Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self.ids: dict[str, UUID] = {}

    async def seed(self) -> None:
        self.organization = await ensure_organization(self.conn, "acme")
        member = "Ops at Acme"
        self.actor = Actor(
            id=await ensure_member(self.conn, self.organization, member), name=member
        )
        for name, description in COMPONENTS.items():
            component = await create_component(self.conn, self.organization, name, description)
            self.ids[name] = component.id
        # Components made long ago, so that the whole window has figures.
        await self.conn.execute(
            "UPDATE components SET created_at = $1 WHERE organization_id = $2",
            self.now - timedelta(days=200),
            self.organization,
        )
        await create_status_page(
            self.conn,
            self.organization,
            name="Acme",
            slug=SLUG,
            component_ids=tuple(self.ids.values()),
            published=True,
            groups=[(g, tuple(self.ids[m] for m in members)) for g, members in GROUPS.items()],
        )
        await self.history()

    async def incident(
        self, title: str, severity: Severity, days_ago: float, steps: list[Step]
    ) -> None:
        """Steps are (hours after the start, status change, body, component statuses)."""
        start = self.now - timedelta(days=days_ago)
        affected = {name for _, _, _, statuses in steps for name in statuses}
        incident_id = new_id()
        await self.run(
            OpenIncident(
                incident_id=incident_id,
                organization_id=self.organization,
                title=title,
                severity=severity,
                component_ids=tuple(self.ids[name] for name in sorted(affected)),
                actor=self.actor,
                at=start,
            )
        )
        for hours, status, body, statuses in steps:
            await self.run(
                PostUpdate(
                    incident_id=incident_id,
                    update_id=new_id(),
                    visibility="public",
                    body=body,
                    status_change=status,
                    component_statuses=tuple(
                        ComponentStatus(self.ids[name], state) for name, state in statuses.items()
                    ),
                    notify_subscribers=False,
                    actor=self.actor,
                    at=start + timedelta(hours=hours),
                )
            )

    async def run(self, command: OpenIncident | PostUpdate) -> None:
        await handle(self.conn, command, self.organization, EventMetadata(actor_id=self.actor.id))

    async def history(self) -> None:
        await self.incident(
            "Webhook deliveries delayed",
            "minor",
            71.3,
            [
                (
                    0,
                    None,
                    "Deliveries run up to 20 minutes late.",
                    {"Webhooks": "degraded_performance"},
                ),
                (3, "resolved", "The backlog is cleared.", {}),
            ],
        )
        await self.incident(
            "REST API unavailable",
            "critical",
            43.6,
            [
                (
                    0,
                    None,
                    "The REST API answers 503 to every request.",
                    {"REST API": "full_outage"},
                ),
                (
                    0.7,
                    "identified",
                    "A failed database failover; rolling back.",
                    {"REST API": "partial_outage"},
                ),
                (2.1, "resolved", "Every endpoint answers again. A post-mortem follows.", {}),
            ],
        )
        await self.incident(
            "Card payments declined",
            "major",
            9.4,
            [
                (
                    0,
                    None,
                    "Some card payments are declined at checkout.",
                    {"Card payments": "partial_outage"},
                ),
                (
                    1.5,
                    "monitoring",
                    "Our acquirer rolled back a change; we are watching.",
                    {"Card payments": "operational"},
                ),
                (4, "resolved", "Payments have succeeded normally for two hours.", {}),
            ],
        )
        await self.incident(
            "Dashboard slow to load",
            "minor",
            0.2,
            [
                (
                    0,
                    None,
                    "Dashboard pages take up to 10 seconds to load; the API is not affected. "
                    "Updates also at https://community.acme.example/t/dashboard",
                    {"Dashboard": "degraded_performance"},
                ),
                (
                    1.5,
                    "identified",
                    "A slow query after this morning's release; a fix is rolling out.",
                    {},
                ),
            ],
        )


async def shoot(base: str, page: Page, name: str) -> None:
    await page.goto(f"{base}/status/{SLUG}")
    await page.get_by_text("3 components in API").click()
    await page.screenshot(path=OUT / f"{name}.png", full_page=True)


def serve(database_url: str) -> tuple[str, uvicorn.Server, threading.Thread, socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    app = create_app(Settings(database_url=database_url, redis_url=redis_url, port=port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("Herald did not start; see above")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread, sock


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    async with scratch_database() as database_url:
        conn = await asyncpg.connect(database_url)
        try:
            await migrate(conn)
            await Demo(conn, datetime.now(UTC)).seed()
        finally:
            await conn.close()
        base, server, thread, sock = serve(database_url)
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                for name, options in {
                    "status-page": {"viewport": {"width": 1280, "height": 900}},
                    "status-page-dark": {
                        "viewport": {"width": 1280, "height": 900},
                        "color_scheme": "dark",
                    },
                    "status-page-phone": {
                        "viewport": {"width": 390, "height": 844},
                        "device_scale_factor": 2,
                        "is_mobile": True,
                        "has_touch": True,
                    },
                }.items():
                    page = await (await browser.new_context(**options)).new_page()
                    await shoot(base, page, name)
                # A day's figures, as a keyboard or a tap shows them.
                page = await (
                    await browser.new_context(viewport={"width": 1280, "height": 900})
                ).new_page()
                await page.goto(f"{base}/status/{SLUG}")
                bar = page.locator(".bars").first.locator(".bar").nth(89 - 44)
                await bar.focus()
                card = page.locator(".components")
                await card.screenshot(path=OUT / "day-tooltip.png")
                await page.locator("section[aria-labelledby=current] h3 a").first.click()
                await page.screenshot(path=OUT / "incident-page.png", full_page=True)
                await page.goto(f"{base}/status/{SLUG}/history")
                await page.screenshot(path=OUT / "history.png", full_page=True)
                await browser.close()
        finally:
            server.should_exit = True
            thread.join(15)
            sock.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
