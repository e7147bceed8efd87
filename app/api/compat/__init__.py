"""Drop-in dialects of other vendors' update endpoints, thin adapters over the same commands.

Each dialect mounts its own router, authenticated like v1 but answering every failure in its
own envelope through its own error map, so a client written for the vendor reads our errors too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from app.api.auth import authorize, provide_principal


def dialect_router(
    path: str,
    route_handlers: Sequence[ControllerRouterHandler],
    exception_handlers: Mapping[Any, Any],
) -> Router:
    return Router(
        path=path,
        route_handlers=list(route_handlers),
        before_request=authorize,
        dependencies={"principal": Provide(provide_principal, sync_to_thread=False)},
        exception_handlers=dict(exception_handlers),
    )
