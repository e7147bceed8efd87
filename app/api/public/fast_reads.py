"""Public pages already rendered, answered before routing: the same bytes, headers, 304s and
latency observation as the route handlers in pages.py give them, at a fraction of the cost.

A read of the page cache's current copy needs nothing of the framework: no routing, guards,
dependencies or per-response hooks. Everything else (a copy out of date, a page not yet known,
a method other than GET) goes on to the application unchanged, which renders and caches it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from litestar.types import Scope, Send

from app.api.public.conditional import http_date, last_modified, not_modified
from app.api.public.headers import CROSS_ORIGIN, PUBLIC_PREFIX, public_headers
from app.api.public.page_cache import PageCache
from app.api.public.pages import (
    ATOM,
    CACHE_CONTROL,
    HTML,
    RSS,
    history_variant,
    incident_variant,
)
from app.api.request_id import request_id_from
from app.logs import current_request_id

# Path after /status/{slug} -> (the cache's variant, Content-Type as the handlers send it,
# whether other origins may read it). Litestar adds the charset to text/ types only.
SURFACES: dict[str, tuple[str, str, bool]] = {
    "": ("html", f"{HTML}; charset=utf-8", False),
    "/api/v2/summary.json": ("summary", "application/json", True),
    "/api/v2/status.json": ("status", "application/json", True),
    "/api/v2/components.json": ("components", "application/json", True),
    "/api/v2/incidents.json": ("incidents", "application/json", True),
    "/api/v2/incidents/unresolved.json": ("unresolved", "application/json", True),
    "/api/v2/scheduled-maintenances.json": ("maintenances", "application/json", True),
    "/api/v2/scheduled-maintenances/upcoming.json": ("upcoming", "application/json", True),
    "/api/v2/scheduled-maintenances/active.json": ("active", "application/json", True),
    "/history.atom": ("atom", ATOM, True),
    "/history.rss": ("rss", RSS, True),
}
# The request headers a cached answer depends on.
_WANTED = frozenset({b"x-request-id", b"if-none-match", b"if-modified-since"})

Headers = list[tuple[bytes, bytes]]


def _encoded(headers: dict[str, str]) -> Headers:
    return [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]


class FastReads:
    """Answers GET /status/{slug}... from the page cache, or says it did not."""

    def __init__(self, public_base: str, state: Any) -> None:
        self._state = state  # the application's: page_cache and metrics arrive at startup
        shared = _encoded(
            {"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
            | public_headers(public_base)
        )
        cross_origin = _encoded(CROSS_ORIGIN)
        self._surfaces: dict[str, tuple[str, bytes, Headers, str]] = {
            suffix: (
                variant,
                content_type.encode(),
                shared + cross_origin if readable else shared,
                # The route's template, as litestar names it in the latency metric.
                f"{PUBLIC_PREFIX}{{slug}}{suffix}",
            )
            for suffix, (variant, content_type, readable) in SURFACES.items()
        }
        html = self._surfaces[""]
        self._incident = (html[1], html[2], f"{PUBLIC_PREFIX}{{slug}}/incidents/{{incident_id}}")
        self._history = (html[1], html[2], f"{PUBLIC_PREFIX}{{slug}}/history")
        self._history_month = (html[1], html[2], f"{PUBLIC_PREFIX}{{slug}}/history/{{month}}")

    def _item(self, rest: str) -> tuple[str, bytes, Headers, str] | None:
        """An incident's page or a month of history: one of a page's many items."""
        kind, _, name = rest.partition("/")
        if kind == "incidents" and name:
            variant, surface = incident_variant(name), self._incident
        elif kind == "history" and rest != "history/":
            month = name or None
            variant = history_variant(month, datetime.now(UTC))
            surface = self._history if month is None else self._history_month
        else:
            return None
        return None if variant is None else (variant, *surface)

    async def __call__(self, scope: Scope, send: Send) -> bool:
        """Whether the request was answered; when not, nothing was sent."""
        started = time.perf_counter()
        path: str = scope["path"]
        if scope["method"] != "GET" or not path.startswith(PUBLIC_PREFIX):
            return False
        slug, _, rest = path[len(PUBLIC_PREFIX) :].partition("/")
        surface = self._surfaces.get(f"/{rest}".removesuffix("/")) or self._item(rest)
        cache: PageCache | None = getattr(self._state, "page_cache", None)
        if surface is None or not slug or cache is None:
            return False
        variant, content_type, headers, template = surface
        rendered = await cache.cached(slug, variant)
        if rendered is None:
            return False

        asked: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                asked.setdefault(name.decode(), value.decode("latin-1"))
        request_id = request_id_from(asked.get("x-request-id", "").encode("latin-1"))
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        status = 500
        try:
            headers = [
                *headers,
                (b"etag", rendered.etag.encode()),
                (
                    b"last-modified",
                    http_date(last_modified(rendered.changed, datetime.now(UTC))).encode(),
                ),
                (b"x-request-id", request_id.encode()),
            ]
            if not_modified(asked, rendered.etag, rendered.changed):
                status, body = 304, b""
            else:
                status, body = 200, rendered.content
                headers += [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
        finally:
            current_request_id.reset(token)
            seconds = time.perf_counter() - started
            self._state.metrics.observe_latency("GET", template, status, seconds)
        return True
