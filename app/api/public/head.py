"""HEAD on the public surfaces: answered as the GET would be, without its body (RFC 9110,
9.3.2). Uptime monitors, link checkers and CDNs ask with HEAD, and litestar routes GET alone."""

from __future__ import annotations

from litestar.types import Message, Scope, Send

from app.api.public.headers import PUBLIC_PREFIX


def as_get(scope: Scope, send: Send) -> tuple[Scope, Send]:
    """The scope and send to serve the request with: a public HEAD becomes a GET whose body is
    dropped, its headers (Content-Length included) kept; anything else passes unchanged."""
    if scope["method"] != "HEAD" or not scope["path"].startswith(PUBLIC_PREFIX):
        return scope, send

    async def bodiless(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return {**scope, "method": "GET"}, bodiless
