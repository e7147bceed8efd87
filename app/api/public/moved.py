"""A status page's former addresses answer 301 to its current one, under every path.

A page whose slug changed keeps the links people hold (feeds, incident pages in old mails,
bookmarks): whatever under /status/{old slug}/... would be 404 is sent to the same path under
the current slug instead, with its query. GET and HEAD get 301; other methods get 308, which
keeps the method and body (a browser turns a 301 POST into a GET). Only a 404 asks where a page
went, so the addresses that answer pay nothing.
"""

from __future__ import annotations

from urllib.parse import quote

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.api.public.headers import PUBLIC_PREFIX
from app.api.public.page_cache import PageCache
from app.api.public.pages import CACHE_CONTROL
from app.api.v1.schemas import Slug


def redirect_moved_pages(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PUBLIC_PREFIX):
            await app(scope, receive, send)
            return
        redirected = False

        async def sending(message: Message) -> None:
            nonlocal redirected
            if redirected:
                return  # the 404's body
            if message["type"] == "http.response.start" and message["status"] == 404:
                location = await _location(scope)
                if location is not None:
                    redirected = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 301 if scope["method"] in ("GET", "HEAD") else 308,
                            "headers": [
                                (b"location", location.encode()),
                                (b"cache-control", CACHE_CONTROL.encode()),
                                (b"content-length", b"0"),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
            await send(message)

        await app(scope, receive, sending)

    return middleware


async def _location(scope: Scope) -> str | None:
    """The same address under the page's current slug; None unless the slug is a former one.
    Absolute with PUBLIC_URL, never from the Host asked for."""
    state = scope["app"].state
    cache: PageCache | None = getattr(state, "page_cache", None)
    slug, slash, rest = scope["path"][len(PUBLIC_PREFIX) :].partition("/")
    if cache is None:
        return None
    try:
        msgspec.convert(slug, Slug)  # nothing that cannot be a slug reaches the database
    except msgspec.ValidationError:
        return None
    current = await cache.moved(slug)
    if current is None:
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    path = quote(f"{PUBLIC_PREFIX}{current}{slash}{rest}")
    return f"{state.public_base}{path}{'?' + query if query else ''}"
