"""Headers that tell browsers what a public answer may load, who may frame it, what it may leak.

The pages are cached bytes shared by every visitor, so the policy holds no per-request nonce:
the pages carry no inline style or script at all, and their stylesheets are files of our own.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

PUBLIC_PREFIX = "/status/"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        # Images in update bodies are shown as links (markdown.py): only our own may load.
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)

# Status pages, feeds, Statuspage JSON, subscription pages and their stylesheets. The token of
# a confirm or unsubscribe link is in the address: no Referer may carry it anywhere.
PUBLIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Every answer is nosniff; public ones, errors included, also carry PUBLIC_HEADERS."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Content-Type-Options"] = "nosniff"
    if scope["path"].startswith(PUBLIC_PREFIX):
        for name, value in PUBLIC_HEADERS.items():
            headers[name] = value
