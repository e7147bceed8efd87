"""GET /status/{slug}...: the published page as HTML, Statuspage JSON and feeds.

Every surface answers conditional GETs; the ETag names the exact bytes. Bodies are rendered
from projections once per version of the page and minute (page_cache.py), and served from
memory until then: a steady read runs no SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from feedgen.feed import FeedGenerator
from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from app.api.errors import NotFound
from app.api.public.conditional import http_date, last_modified, not_modified
from app.api.public.feeds import history_feed
from app.api.public.maintenance_feed import add_maintenances
from app.api.public.page_cache import PageCache
from app.domain.catalog import StatusPage
from app.domain.maintenance_page import PublicMaintenance, maintenance_intervals
from app.domain.public_page import PublicPage
from app.domain.uptime import daily_minutes
from app.present.statuspage import (
    components_json,
    incidents_json,
    page_json,
    status_json,
)
from app.present.statuspage_maintenances import maintenances_json
from app.store.public_reads import (
    component_history,
    last_change,
    load_public_page,
    page_incidents,
)

UPTIME_DAYS = 90
RECENTLY_RESOLVED = timedelta(days=14)
# Shared caches may keep a copy 10 s, then serve it a little longer while they fetch a new one
# or while Herald cannot answer; short, since a redaction purges (README: "CDN") and everything
# else should be seen within seconds.
CACHE_CONTROL = "public, max-age=10, stale-while-revalidate=30, stale-if-error=300"

Build = Callable[["Snapshot"], Awaitable[bytes]]

# Litestar adds "; charset=utf-8" to every text/ type itself.
HTML = "text/html"
ATOM = "application/atom+xml"
RSS = "application/rss+xml"


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    request: Request
    page: StatusPage
    now: datetime
    base: str  # Settings.public_base: PUBLIC_URL or nothing, never the Host asked for

    @property
    def url(self) -> str:
        return f"{self.base}/status/{self.page.slug}"


async def _serve(
    request: Request, slug: str, variant: str, media_type: str, build: Build
) -> Response:
    cache: PageCache = request.app.state.page_cache

    async def render(page: StatusPage, now: datetime) -> tuple[bytes, datetime]:
        snapshot = Snapshot(request=request, page=page, now=now, base=request.app.state.public_base)
        content = await build(snapshot)
        return content, await last_change(request.app.state.pool, page)

    rendered = await cache.rendered(slug, variant, render)
    if rendered is None:
        raise NotFound("No published status page has this address.")
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": http_date(last_modified(rendered.changed, datetime.now(UTC))),
        "Cache-Control": CACHE_CONTROL,
    }
    if not_modified(request.headers, rendered.etag, rendered.changed):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=rendered.content, media_type=media_type, headers=headers)


async def _view(snapshot: Snapshot) -> PublicPage:
    return await load_public_page(snapshot.request.app.state.pool, snapshot.page)


async def _components(snapshot: Snapshot, view: PublicPage) -> list[dict[str, Any]]:
    history = await component_history(
        snapshot.request.app.state.pool, snapshot.page, snapshot.now - timedelta(days=UPTIME_DAYS)
    )
    return components_json(view, history)


async def _incidents_json(snapshot: Snapshot, *, open_only: bool) -> dict[str, Any]:
    view = await _view(snapshot)
    components = await _components(snapshot, view)
    incidents = await page_incidents(
        snapshot.request.app.state.pool, snapshot.page, open_only=open_only
    )
    return {
        "page": page_json(view, snapshot.url),
        "incidents": incidents_json(view, incidents, snapshot.url, components),
    }


def _json(value: Any) -> bytes:
    return msgspec.json.encode(value)


async def build_summary(snapshot: Snapshot) -> bytes:
    view = await _view(snapshot)
    components = await _components(snapshot, view)
    incidents = await page_incidents(snapshot.request.app.state.pool, snapshot.page, open_only=True)
    return _json(
        {
            "page": page_json(view, snapshot.url),
            "components": components,
            "incidents": incidents_json(view, incidents, snapshot.url, components),
            "scheduled_maintenances": maintenances_json(
                view, [*view.in_progress, *view.upcoming], snapshot.url, components
            ),
            "status": status_json(view),
        }
    )


MaintenanceChoice = Callable[[PublicPage], list[PublicMaintenance]]


def _maintenances(choose: MaintenanceChoice) -> Build:
    async def build(snapshot: Snapshot) -> bytes:
        view = await _view(snapshot)
        components = await _components(snapshot, view)
        chosen = maintenances_json(view, choose(view), snapshot.url, components)
        return _json({"page": page_json(view, snapshot.url), "scheduled_maintenances": chosen})

    return build


# Statuspage's three lists: the 50 latest of any status, those not started, those under way.
build_maintenances = _maintenances(
    lambda view: sorted(view.maintenances, key=lambda m: m.maintenance.scheduled_for, reverse=True)[
        :50
    ]
)
build_upcoming = _maintenances(lambda view: view.upcoming)
build_active = _maintenances(lambda view: view.in_progress)


async def build_status(snapshot: Snapshot) -> bytes:
    view = await _view(snapshot)
    return _json({"page": page_json(view, snapshot.url), "status": status_json(view)})


async def build_components(snapshot: Snapshot) -> bytes:
    view = await _view(snapshot)
    components = await _components(snapshot, view)
    return _json({"page": page_json(view, snapshot.url), "components": components})


async def build_incidents(snapshot: Snapshot) -> bytes:
    return _json(await _incidents_json(snapshot, open_only=False))


async def build_unresolved(snapshot: Snapshot) -> bytes:
    return _json(await _incidents_json(snapshot, open_only=True))


async def _feed(snapshot: Snapshot) -> FeedGenerator:
    view = await _view(snapshot)
    incidents = await page_incidents(snapshot.request.app.state.pool, snapshot.page)
    feed = history_feed(view, incidents, snapshot.url, absolute=bool(snapshot.base))
    add_maintenances(feed, view, snapshot.url, absolute=bool(snapshot.base))
    return feed


async def build_atom(snapshot: Snapshot) -> bytes:
    return (await _feed(snapshot)).atom_str(pretty=True)


async def build_rss(snapshot: Snapshot) -> bytes:
    return (await _feed(snapshot)).rss_str(pretty=True)


async def build_html(snapshot: Snapshot) -> bytes:
    pool = snapshot.request.app.state.pool
    view = await _view(snapshot)
    incidents = await page_incidents(
        pool, snapshot.page, resolved_since=snapshot.now - RECENTLY_RESOLVED
    )
    history = await component_history(
        pool, snapshot.page, snapshot.now - timedelta(days=UPTIME_DAYS)
    )
    uptime = {
        component.id: daily_minutes(
            [*history[component.id], *maintenance_intervals(view.maintenances, component.id)],
            snapshot.now,
            UPTIME_DAYS,
        )
        for component in view.components
    }
    template = snapshot.request.app.template_engine.get_template("status_page.html.jinja")
    html = template.render(
        view=view,
        url=snapshot.url,
        now=snapshot.now,
        open_incidents=[i for i in incidents if i.status != "resolved"],
        resolved_incidents=[i for i in incidents if i.status == "resolved"],
        uptime=uptime,
    )
    return html.encode()


class StatusPageSurfaces(Controller):
    path = "/status/{slug:str}"

    @get("/", media_type=HTML)
    async def html(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "html", HTML, build_html)

    @get("/api/v2/summary.json")
    async def summary(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "summary", "application/json", build_summary)

    @get("/api/v2/status.json")
    async def status(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "status", "application/json", build_status)

    @get("/api/v2/components.json")
    async def components(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "components", "application/json", build_components)

    @get("/api/v2/incidents.json")
    async def incidents(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "incidents", "application/json", build_incidents)

    @get("/api/v2/incidents/unresolved.json")
    async def unresolved(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "unresolved", "application/json", build_unresolved)

    @get("/api/v2/scheduled-maintenances.json")
    async def maintenances(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "maintenances", "application/json", build_maintenances)

    @get("/api/v2/scheduled-maintenances/upcoming.json")
    async def upcoming(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "upcoming", "application/json", build_upcoming)

    @get("/api/v2/scheduled-maintenances/active.json")
    async def active(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "active", "application/json", build_active)

    @get("/history.atom", media_type=ATOM)
    async def atom(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "atom", ATOM, build_atom)

    @get("/history.rss", media_type=RSS)
    async def rss(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "rss", RSS, build_rss)
