"""GET /status/{slug}...: the published page as HTML, Statuspage JSON and feeds.

Every surface answers conditional GETs. The ETag covers the page's projection version and the
current UTC minute, since an ongoing outage changes the uptime bars with no new event. Reads
touch projections only, and rendered bodies are kept per ETag so a burst costs two small queries.
"""

from __future__ import annotations

from collections import OrderedDict
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
from app.domain.catalog import StatusPage
from app.domain.public_page import PublicPage
from app.domain.uptime import daily_minutes
from app.present.statuspage import (
    components_json,
    incidents_json,
    page_json,
    status_json,
)
from app.store.public_reads import (
    component_history,
    load_public_page,
    page_incidents,
    published_page_version,
)

UPTIME_DAYS = 90
RECENTLY_RESOLVED = timedelta(days=14)
CACHE_SIZE = 512

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


class RenderedCache:
    """The last few rendered bodies by ETag and address; an ETag names exact content."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = size

    def get(self, key: str) -> bytes | None:
        if key in self._items:
            self._items.move_to_end(key)
        return self._items.get(key)

    def put(self, key: str, content: bytes) -> None:
        self._items[key] = content
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


async def _serve(
    request: Request, slug: str, variant: str, media_type: str, build: Build
) -> Response:
    version = await published_page_version(request.app.state.pool, slug)
    if version is None:
        raise NotFound("No published status page has this address.")
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    etag = f'"{version.fingerprint}-{minute:%Y%m%d%H%M}-{variant}"'
    changed = max(minute, version.changed)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified(changed, now)),
        "Cache-Control": "public, max-age=10",
    }
    if not_modified(request.headers, etag, changed):
        return Response(content=b"", status_code=304, headers=headers)
    cache: RenderedCache = request.app.state.rendered_pages
    content = cache.get(etag)
    if content is None:
        snapshot = Snapshot(
            request=request, page=version.page, now=now, base=request.app.state.public_base
        )
        content = await build(snapshot)
        cache.put(etag, content)
    return Response(content=content, media_type=media_type, headers=headers)


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
            "scheduled_maintenances": [],
            "status": status_json(view),
        }
    )


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
    return history_feed(view, incidents, snapshot.url, absolute=bool(snapshot.base))


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
        component.id: daily_minutes(history[component.id], snapshot.now, UPTIME_DAYS)
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

    @get("/history.atom", media_type=ATOM)
    async def atom(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "atom", ATOM, build_atom)

    @get("/history.rss", media_type=RSS)
    async def rss(self, request: Request, slug: FromPath[str]) -> Response:
        return await _serve(request, slug, "rss", RSS, build_rss)
