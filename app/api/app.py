"""create_app(settings): the litestar application and its wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.types import Receive, Scope, Send
from redis.asyncio import Redis
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.api.auth import authorize, provide_principal
from app.api.compat import incidentio, uptimeio
from app.api.health import healthz, readyz
from app.api.metrics import Metrics, counted, metrics_endpoint, metrics_middleware
from app.api.openapi import document_api
from app.api.public.assets import assets_router
from app.api.public.cdn_purge import CdnPurge
from app.api.public.fast_reads import FastReads
from app.api.public.head import as_get
from app.api.public.headers import security_headers
from app.api.public.moved import redirect_moved_pages
from app.api.public.not_found import html_not_found
from app.api.public.page_cache import PageCache, track_writes
from app.api.public.pages import StatusPageSurfaces
from app.api.public.subscriptions import subscriptions_router
from app.api.public.templating import template_config
from app.api.rate_limit import RateLimiter, add_rate_limit_headers
from app.api.reference import openapi_config
from app.api.request_id import add_request_id_header, request_id_middleware
from app.api.text import refuse_control_in_path
from app.api.v1.catalog import ComponentController, StatusPageController
from app.api.v1.errors import EXCEPTION_HANDLERS
from app.api.v1.incidents import IncidentController
from app.api.v1.maintenances import MaintenanceController
from app.api.v1.subscribers import notifications_router
from app.config import Settings
from app.store.page_changes import PageChanges
from app.store.pool import create_pool
from app.store.principals import PrincipalCache

# Bodies are small JSON documents; anything larger is refused with 413 before it is read.
MAX_BODY_BYTES = 1024 * 1024


class Herald(Litestar):
    """Litestar, with the status pages already rendered answered before routing
    (public/fast_reads.py): they are most of the traffic exactly when an outage sends every
    customer to them."""

    fast_reads: FastReads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http":
            scope, send = as_get(scope, send)
            if await self.fast_reads(scope, send):
                return
        await super().__call__(scope, receive, send)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, clock: Callable[[], datetime] = _utc_now) -> Litestar:
    """`clock` tells the time of scheduled maintenances' commands: a test may drive it."""

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await create_pool(settings.database_url, keeps_session_state=False)
        # Writes send the same few statements whatever their arguments: they keep one plan
        # each, where reads get one planned for their arguments.
        app.state.write_pool = await create_pool(
            settings.database_url, keeps_session_state=False, generic_plans=True
        )
        app.state.principals = PrincipalCache(settings.database_url)
        await app.state.principals.start()
        # A hung Redis costs a request at most this timeout, and then the limiter stops asking
        # for a moment (rate_limit.py); long enough that a busy event loop does not time out
        # answers that did arrive.
        redis = Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
        app.state.redis = redis
        app.state.rate_limiter = RateLimiter(redis, settings.rate_limit_per_minute)
        purge = CdnPurge(settings.cdn_purge_url, app.state.pool, settings.public_base)
        changes = PageChanges(
            settings.database_url,
            check_every=settings.page_check_seconds,
            on_redacted=purge.redacted,
        )
        await changes.start()
        app.state.page_cache = PageCache(app.state.pool, changes)
        app.state.metrics = Metrics()
        app.state.counted = counted(app.state.pool, settings.metrics_refresh)
        try:
            yield
        finally:
            await changes.close()
            await purge.close()
            await redis.aclose()
            await app.state.principals.close()
            await app.state.write_pool.close()
            await app.state.pool.close()

    v1 = Router(
        path="/v1",
        route_handlers=[
            ComponentController,
            StatusPageController,
            IncidentController,
            MaintenanceController,
            notifications_router(settings),
        ],
        before_request=authorize,
        dependencies={"principal": Provide(provide_principal, sync_to_thread=False)},
    )
    # The client is the peer, unless the peer is a trusted proxy: then it is the right-most
    # address in X-Forwarded-For that is not one (uvicorn's middleware, which picks exactly
    # that). Only the application decides: `herald serve` turns uvicorn's own copy off, since
    # that one believes loopback peers by default.
    proxies = (
        [DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))]
        if settings.trusted_proxies
        else []
    )
    app = Herald(
        route_handlers=[
            v1,
            incidentio.router(),
            uptimeio.router(),
            StatusPageSurfaces,
            healthz,
            readyz,
            metrics_endpoint(settings),
            subscriptions_router(settings),
            assets_router(),
        ],
        # Public answers are built from the configuration, never from the request's Host.
        state=State({"public_base": settings.public_base, "clock": clock}),
        lifespan=[database],
        before_request=refuse_control_in_path,
        middleware=[
            *proxies,
            request_id_middleware,
            metrics_middleware,
            track_writes,
            redirect_moved_pages,
        ],
        before_send=[
            add_request_id_header,
            add_rate_limit_headers,
            security_headers(settings.public_base),
        ],
        request_max_body_size=MAX_BODY_BYTES,
        exception_handlers=html_not_found(EXCEPTION_HANDLERS),
        # Logging is the process's business (`herald serve` sets it up), not the app's.
        logging_config=None,
        template_config=template_config(settings.public_base),
        openapi_config=openapi_config("Herald", "0.1.0"),
    )
    app.fast_reads = FastReads(settings.public_base, app.state)
    document_api(app)
    return app
