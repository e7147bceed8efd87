"""API key authentication and scope checks, run as a guard before any input is read."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from app.api.errors import Forbidden, NoCredentials, NotAuthorized
from app.store.api_keys import Principal, find_principal


def _presented_key(connection: ASGIConnection) -> str | None:
    authorization = connection.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return connection.headers.get("x-api-key") or None


async def require_scope(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    """Authenticate the key, then check the scope the handler names in `opt["scope"]`."""
    key = _presented_key(connection)
    if key is None:
        raise NoCredentials("Missing or invalid credentials.")
    principal = await find_principal(connection.app.state.pool, key)
    if principal is None:
        raise NotAuthorized("Missing or invalid credentials.")
    scope = route_handler.opt["scope"]
    if scope not in principal.scopes:
        raise Forbidden(f"This API key lacks the {scope} scope.")
    connection.state.principal = principal


def provide_principal(request: Request) -> Principal:
    return request.state.principal
