"""Give every request an id, echoed in X-Request-Id and in error bodies and log lines."""

from __future__ import annotations

import logging
import re
import uuid

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("herald.api")

# A caller's own id is kept when it is harmless to echo and to log.
_ACCEPTABLE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    return scope.get("state", {}).get("request_id", "")


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
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = (
            incoming.decode() if _ACCEPTABLE.fullmatch(incoming) else f"req_{uuid.uuid4().hex}"
        )
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware
