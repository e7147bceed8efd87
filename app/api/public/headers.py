"""Headers that tell browsers what a public answer may load, who may frame it, what it may leak.

The pages are cached bytes shared by every visitor, so the policy holds no per-request nonce:
the pages carry no inline style or script at all, and their stylesheets are files of our own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

PUBLIC_PREFIX = "/status/"


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


def security_headers(public_base: str) -> BeforeMessageSendHookHandler:
    """Every answer is nosniff. Public ones, errors included, also get the policy, refuse to be
    framed, and send no Referer: the token of a confirm or unsubscribe link is in the address."""
    public = {
        "Content-Security-Policy": content_security_policy(public_base),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        if scope["path"].startswith(PUBLIC_PREFIX):
            for name, value in public.items():
                headers[name] = value

    return add
