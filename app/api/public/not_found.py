"""A browser that asks for an address with nothing there gets an HTML page; API clients get JSON.

Content negotiation on the Accept header: browsers navigating put text/html first, while curl
(`*/*` or nothing), fetch() and API clients prefer JSON and keep the dialect's JSON error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from litestar import Request, Response
from litestar.response import Template

from app.api.public.headers import PUBLIC_PREFIX, public_headers
from app.api.reference import SCHEMA_PATH

TEMPLATE = "not_found.html.jinja"

Handler = Callable[[Request, Exception], Response]


def prefers_html(request: Request) -> bool:
    try:
        best = request.accept.best_match(["application/json", "text/html"])
    except OverflowError:  # litestar cannot rank a q value such as "inf"
        return False
    return best == "text/html"


def _is_page_address(request: Request) -> bool:
    """An address no route knows, or one under the public pages. A 404 of an API route that
    exists (an unknown incident, say) stays the API's JSON error for any client."""
    return "route_handler" not in request.scope or request.url.path.startswith(PUBLIC_PREFIX)


def not_found_page(request: Request) -> Template:
    base = request.app.state.public_base
    home = request.url.path == "/"
    return Template(
        template_name=TEMPLATE,
        context={
            "title": "Herald" if home else "Page not found",
            "home": home,
            # Visitors of a status page are not sent to the API's documentation.
            "reference": None
            if request.url.path.startswith(PUBLIC_PREFIX)
            else f"{base}{SCHEMA_PATH}",
        },
        status_code=404,
        media_type="text/html",
        headers={**public_headers(base), "Vary": "Accept"},
    )


def _negotiated(handler: Handler) -> Handler:
    def handle(request: Request, error: Exception) -> Response:
        response = handler(request, error)
        if response.status_code != 404 or not _is_page_address(request):
            return response
        if prefers_html(request):
            return not_found_page(request)
        # The same address answers a browser otherwise: no cache may hand this one to it.
        response.headers["Vary"] = "Accept"
        return response

    return handle


def html_not_found(handlers: Mapping[Any, Handler]) -> dict[Any, Handler]:
    """The app's exception handlers, each answering a browser's 404 with the HTML page."""
    return {kind: _negotiated(handler) for kind, handler in handlers.items()}
