"""GET /status/{slug}...: the published page as HTML, Statuspage JSON and feeds, each incident's
own page and the history by month.

Every surface answers conditional GETs; the ETag names the exact bytes. Bodies are rendered
from projections once per version of the page (and minute, for what shows the uptime bars) in
page_cache.py, and served from memory until then: a steady read runs no SQL.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

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
from app.domain.uptime import page_uptime
from app.present.statuspage import (
    component_changes,
    components_json,
    incidents_json,
    page_json,
    status_json,
)
from app.present.statuspage_maintenances import maintenances_json
from app.store.public_reads import (
    component_history,
    incident_change,
    incident_months,
    incident_spans,
    incidents_published_between,
    last_change,
    load_public_page,
    page_incident,
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
    changed: datetime  # the last change the surface shows

    @property
    def url(self) -> str:
        return f"{self.base}/status/{self.page.slug}"


NO_INCIDENT = "This status page shows no incident with this address."
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
FIRST_MONTH = date(1970, 1, 1)


def incident_variant(text: str) -> str | None:
    """The cache's variant of an incident's page at /incidents/{text}; None for no UUID."""
    try:
        return f"incident:{UUID(text)}"
    except ValueError:
        return None


def history_variant(text: str | None, now: datetime) -> str | None:
    """The cache's variant of the history page at /history/{text} (/history when None): the
    month shown and the current one, which its links depend on. None for no month that has
    begun (YYYY-MM, from 1970 on)."""
    current = now.date().replace(day=1)
    month = current
    if text is not None:
        matched = _MONTH.fullmatch(text)
        if matched is None or not 1 <= int(matched[2]) <= 12:
            return None
        month = date(int(matched[1]), int(matched[2]), 1)
        if not FIRST_MONTH <= month <= current:
            return None
    return f"history:{month:%Y-%m}:{current:%Y-%m}"


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


async def _serve(
    request: Request,
    slug: str,
    variant: str,
    media_type: str,
    build: Build,
    *,
    incident: UUID | None = None,
    timeless: bool = False,
) -> Response:
    """`incident`: the surface shows that incident only; `timeless`: nothing on it moves with
    the clock."""
    cache: PageCache = request.app.state.page_cache

    async def render(page: StatusPage, now: datetime) -> tuple[bytes, datetime]:
        pool = request.app.state.pool
        if incident is None:
            changed = await last_change(pool, page)
        else:
            # One indexed query answers an id the page does not show: nothing more is read.
            shown = await incident_change(pool, page, incident)
            if shown is None:
                raise NotFound(NO_INCIDENT)
            changed = shown
        snapshot = Snapshot(
            request=request,
            page=page,
            now=now,
            base=request.app.state.public_base,
            changed=changed,
        )
        return await build(snapshot), changed

    rendered = await cache.rendered(slug, variant, render, timeless=timeless)
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
        "page": page_json(view, snapshot.url, snapshot.changed),
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
            "page": page_json(view, snapshot.url, snapshot.changed),
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
        return _json(
            {
                "page": page_json(view, snapshot.url, snapshot.changed),
                "scheduled_maintenances": chosen,
            }
        )

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
    return _json(
        {"page": page_json(view, snapshot.url, snapshot.changed), "status": status_json(view)}
    )


async def build_components(snapshot: Snapshot) -> bytes:
    view = await _view(snapshot)
    components = await _components(snapshot, view)
    return _json(
        {"page": page_json(view, snapshot.url, snapshot.changed), "components": components}
    )


async def build_incidents(snapshot: Snapshot) -> bytes:
    return _json(await _incidents_json(snapshot, open_only=False))


async def build_unresolved(snapshot: Snapshot) -> bytes:
    return _json(await _incidents_json(snapshot, open_only=True))


async def _feed(snapshot: Snapshot, address: str) -> FeedGenerator:
    view = await _view(snapshot)
    incidents = await page_incidents(snapshot.request.app.state.pool, snapshot.page)
    feed = history_feed(
        view, incidents, snapshot.url, f"{snapshot.url}{address}", absolute=bool(snapshot.base)
    )
    add_maintenances(feed, view, snapshot.url, absolute=bool(snapshot.base))
    return feed


async def build_atom(snapshot: Snapshot) -> bytes:
    return (await _feed(snapshot, "/history.atom")).atom_str(pretty=True)


async def build_rss(snapshot: Snapshot) -> bytes:
    return (await _feed(snapshot, "/history.rss")).rss_str(pretty=True)


async def build_html(snapshot: Snapshot) -> bytes:
    pool = snapshot.request.app.state.pool
    view = await _view(snapshot)
    incidents = await page_incidents(
        pool, snapshot.page, resolved_since=snapshot.now - RECENTLY_RESOLVED
    )
    since = snapshot.now - timedelta(days=UPTIME_DAYS)
    history = {
        component_id: [*intervals, *maintenance_intervals(view.maintenances, component_id)]
        for component_id, intervals in (await component_history(pool, snapshot.page, since)).items()
    }
    spans = await incident_spans(pool, snapshot.page, since)
    template = snapshot.request.app.template_engine.get_template("status_page.html.jinja")
    html = template.render(
        view=view,
        url=snapshot.url,
        now=snapshot.now,
        open_incidents=[i for i in incidents if i.status != "resolved"],
        resolved_incidents=[i for i in incidents if i.status == "resolved"],
        uptime=page_uptime(view, history, spans, snapshot.now, UPTIME_DAYS),
        names={component.id: component.name for component in view.components},
    )
    return html.encode()


def build_incident(incident_id: UUID) -> Build:
    async def build(snapshot: Snapshot) -> bytes:
        pool = snapshot.request.app.state.pool
        incident = await page_incident(pool, snapshot.page, incident_id)
        if incident is None:
            raise NotFound(NO_INCIDENT)
        view = await _view(snapshot)
        template = snapshot.request.app.template_engine.get_template("incident_page.html.jinja")
        html = template.render(
            view=view,
            url=snapshot.url,
            incident=incident,
            affected=[c for c in view.components if c.id in incident.component_ids],
            changes=component_changes(incident),
            names={component.id: component.name for component in view.components},
        )
        return html.encode()

    return build


def build_history(variant: str) -> Build:
    _, shown, current = variant.split(":")
    month = date.fromisoformat(f"{shown}-01")
    this_month = date.fromisoformat(f"{current}-01")

    async def build(snapshot: Snapshot) -> bytes:
        pool = snapshot.request.app.state.pool
        start = datetime(month.year, month.month, 1, tzinfo=UTC)
        end = datetime.combine(_next_month(month), start.timetz())
        incidents = await incidents_published_between(pool, snapshot.page, start, end)
        months = await incident_months(pool, snapshot.page)
        older = max((m for m in months if m < month), default=None)
        newer = min((m for m in months if month < m < this_month), default=None)
        if newer is None and month < this_month:
            newer = this_month
        view = await _view(snapshot)
        template = snapshot.request.app.template_engine.get_template("history.html.jinja")
        html = template.render(
            view=view,
            url=snapshot.url,
            month=month,
            incidents=incidents,
            older=older,
            newer=newer,
            this_month=this_month,
        )
        return html.encode()

    return build


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

    @get("/incidents/{incident_id:str}", media_type=HTML)
    async def incident(
        self, request: Request, slug: FromPath[str], incident_id: FromPath[str]
    ) -> Response:
        variant = incident_variant(incident_id)
        if variant is None:
            raise NotFound(NO_INCIDENT)
        found = UUID(incident_id)
        build = build_incident(found)
        return await _serve(request, slug, variant, HTML, build, incident=found, timeless=True)

    @get("/history", media_type=HTML)
    async def history(self, request: Request, slug: FromPath[str]) -> Response:
        return await self._history(request, slug, None)

    @get("/history/{month:str}", media_type=HTML)
    async def history_month(
        self, request: Request, slug: FromPath[str], month: FromPath[str]
    ) -> Response:
        return await self._history(request, slug, month)

    async def _history(self, request: Request, slug: str, month: str | None) -> Response:
        variant = history_variant(month, datetime.now(UTC))
        if variant is None:
            raise NotFound("History is shown by month, such as /history/2026-01.")
        return await _serve(request, slug, variant, HTML, build_history(variant), timeless=True)
