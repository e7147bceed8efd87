"""API key authentication and scope checks, run before any input is read.

They run as the routers' before-request hook rather than as a guard: litestar copies the route
handler for every guard on every request, which cost a command more than the checks did.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection

from app.api.errors import Forbidden, NoCredentials, NotAuthorized, RateLimited
from app.api.text import refuse_control_in_path
from app.store.api_keys import Principal

# What a route handler names in `opt` for authorize.
READ = {"scope": "read"}
WRITE = {"scope": "incidents:write"}
SUBSCRIBERS = {"scope": "subscribers:write"}


def _presented_key(connection: ASGIConnection) -> str | None:
    authorization = connection.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return connection.headers.get("x-api-key") or None


async def authorize(request: Request) -> None:
    """The hook before every request of a router behind API keys, in place of the
    application's (which it runs first): authenticate the key, then check the scope the
    handler names in `opt["scope"]`."""
    await refuse_control_in_path(request)
    # litestar answers OPTIONS itself (an Allow header, nothing read) with a handler that names
    # no scope; CORS preflights carry no credentials anyway.
    if request.scope["method"] == "OPTIONS":
        return
    key = _presented_key(request)
    if key is None:
        raise NoCredentials("Missing or invalid credentials.")
    principal = await request.app.state.principals.find(request.app.state.pool, key)
    if principal is None:
        raise NotAuthorized("Missing or invalid credentials.")
    decision = await request.app.state.rate_limiter.check(str(principal.key_id))
    if decision is not None:
        request.state.rate_limit = decision
        if not decision.allowed:
            raise RateLimited(
                f"This API key may make {decision.limit} requests a minute; "
                f"retry in {decision.reset_seconds} s.",
                principal.member.name,
                decision.limit,
                decision.reset_seconds,
            )
    scope = request.route_handler.opt["scope"]
    if scope not in principal.scopes:
        raise Forbidden(f"This API key lacks the {scope} scope.")
    request.state.principal = principal


def provide_principal(request: Request) -> Principal:
    return request.state.principal
