"""API key authentication and scope checks, run as a guard before any input is read."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from app.api.errors import Forbidden, NoCredentials, NotAuthorized, RateLimited
from app.store.api_keys import Principal

# What a route handler names in `opt` for require_scope.
READ = {"scope": "read"}
WRITE = {"scope": "incidents:write"}
SUBSCRIBERS = {"scope": "subscribers:write"}


def _presented_key(connection: ASGIConnection) -> str | None:
    authorization = connection.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return connection.headers.get("x-api-key") or None


async def require_scope(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    """Authenticate the key, then check the scope the handler names in `opt["scope"]`."""
    # litestar answers OPTIONS itself (an Allow header, nothing read) with a handler that names
    # no scope; CORS preflights carry no credentials anyway.
    if connection.scope["method"] == "OPTIONS":
        return
    key = _presented_key(connection)
    if key is None:
        raise NoCredentials("Missing or invalid credentials.")
    principal = await connection.app.state.principals.find(connection.app.state.pool, key)
    if principal is None:
        raise NotAuthorized("Missing or invalid credentials.")
    decision = await connection.app.state.rate_limiter.check(str(principal.key_id))
    if decision is not None:
        connection.state.rate_limit = decision
        if not decision.allowed:
            raise RateLimited(
                f"This API key may make {decision.limit} requests a minute; "
                f"retry in {decision.reset_seconds} s.",
                principal.member.name,
                decision.limit,
                decision.reset_seconds,
            )
    scope = route_handler.opt["scope"]
    if scope not in principal.scopes:
        raise Forbidden(f"This API key lacks the {scope} scope.")
    connection.state.principal = principal


def provide_principal(request: Request) -> Principal:
    return request.state.principal
