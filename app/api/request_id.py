"""Give every request an id, echoed in X-Request-Id and in error bodies and log lines."""

from __future__ import annotations

import logging
import re
import uuid

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import current_request_id

log = logging.getLogger("herald.api")

# A caller's own id is kept when it is harmless to echo and to log.
_ACCEPTABLE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_from(incoming: bytes) -> str:
    """The caller's X-Request-Id (empty when none) when harmless to echo, else a new id."""
    return incoming.decode() if _ACCEPTABLE.fullmatch(incoming) else f"req_{uuid.uuid4().hex}"


def request_id_of(scope: Scope) -> str:
    """The request's id: the caller's X-Request-Id when harmless, else a new one, kept in scope."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = request_id_from(dict(scope["headers"]).get(b"x-request-id", b""))
    return state["request_id"]


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """Runs for every response, those of paths no route matches included. Nothing else sets
    the header, so it is added without looking for one already there."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message).add("X-Request-Id", request_id_of(scope))


def log_unexpected(request: Request, error: Exception) -> None:
    """Log a failure no dialect expected, with the request id its client was shown."""
    log.exception(
        "unexpected failure: %s %s request_id=%s",
        request.method,
        request.url.path,
        request_id_of(request.scope),
        exc_info=error,
    )


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Put the request id in the logging context of the task that serves the request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        token = current_request_id.set(request_id_of(scope))
        try:
            await app(scope, receive, send)
        finally:
            current_request_id.reset(token)

    return middleware
