"""Headers that tell browsers what a public answer may load, who may frame it, what it may leak,
and which public answers a script on another site may read.

The pages are cached bytes shared by every visitor, so the policy holds no per-request nonce:
the pages carry no inline style or script at all, and their stylesheets are files of our own.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

PUBLIC_PREFIX = "/status/"

# The Statuspage JSON and the feeds, errors and preflights included: what a widget on another
# site fetches. Not the HTML pages, their forms or the token pages, and never the API: those
# answer no other origin, so a script elsewhere cannot read or drive them through a visitor.
CROSS_ORIGIN_READABLE = re.compile(r"/status/[^/]+/(?:api/v2/.+\.json|history\.(?:atom|rss))")
# Everything there is public and the same for every reader, so any origin may read it. No
# credentials are allowed: with "*", a browser hands a script no answer to a request that
# carried cookies. Constant, so caches need no Vary: Origin.
CROSS_ORIGIN = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    # Widgets revalidate with If-None-Match; no header changes what these addresses answer.
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "86400",
}


def content_security_policy(public_base: str) -> str:
    """Our own origin only; with PUBLIC_URL its origin too, since the pages' stylesheet and
    forms point there even when a page is read at another address of the same server."""
    own = "'self'"
    if public_base:
        parts = urlsplit(public_base)
        own = f"'self' {parts.scheme}://{parts.netloc}"
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {own}",
            # Images in update bodies are shown as links (markdown.py): only our own may load.
            f"img-src {own}",
            f"form-action {own}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def public_headers(public_base: str) -> dict[str, str]:
    """The policy, no framing, and no Referer: the token of a confirm or unsubscribe link is in
    the address."""
    return {
        "Content-Security-Policy": content_security_policy(public_base),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def security_headers(public_base: str) -> BeforeMessageSendHookHandler:
    """Every answer is nosniff. Public ones, errors included, also get public_headers, and the
    JSON and feeds the CORS headers."""
    public = public_headers(public_base)

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        if scope["path"].startswith(PUBLIC_PREFIX):
            for name, value in public.items():
                headers[name] = value
            if CROSS_ORIGIN_READABLE.fullmatch(scope["path"]):
                for name, value in CROSS_ORIGIN.items():
                    headers[name] = value

    return add
