"""Prometheus metrics: request latency by route, events appended, and, read when scraped, the
dispatcher's lag, deliveries by status and the delivery queue's depth.

They tell outsiders too much (traffic by route, what is owed to subscribers), so /metrics
answers only a scraper that presents METRICS_TOKEN, and is not served at all without one.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import msgspec
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from redis.exceptions import RedisError

from app.api.errors import NotAuthorized
from app.api.refreshed import Refreshed
from app.config import Settings
from app.queues import QUEUE
from app.store.operations import DispatcherLag, deliveries_by_status, dispatcher_lag


class Metrics:
    """One registry per application, so that several apps in one process do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "herald_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.events = Counter(
            "herald_events_appended",
            "Events appended to the log by this process, by type.",
            ["type"],
            registry=self.registry,
        )
        self.lag_events = Gauge(
            "herald_dispatcher_lag_events",
            "Events in the log the dispatcher has not read yet.",
            registry=self.registry,
        )
        self.lag_seconds = Gauge(
            "herald_dispatcher_lag_seconds",
            "Age of the oldest event the dispatcher has not read yet.",
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "herald_deliveries", "Deliveries by status.", ["status"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "herald_delivery_queue_depth",
            "Delivery jobs waiting in Redis (-1 when Redis cannot be reached).",
            registry=self.registry,
        )
        self.counted_at = Gauge(
            "herald_metrics_counted_timestamp_seconds",
            "When the figures read from PostgreSQL (lag, deliveries) were last counted.",
            registry=self.registry,
        )
        # Labelled children by their labels: prometheus_client's labels() validates and locks
        # on every call, a cost each request would pay once or more.
        self._latencies: dict[tuple[str, str, int], Callable[[float], None]] = {}
        self._appended: dict[str, Callable[[], None]] = {}

    def observe_latency(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        observe = self._latencies.get(key)
        if observe is None:
            observe = self.latency.labels(method, route, str(status)).observe
            self._latencies[key] = observe
        observe(seconds)

    def count_appended(self, event_type: str) -> None:
        inc = self._appended.get(event_type)
        if inc is None:
            inc = self._appended[event_type] = self.events.labels(event_type).inc
        inc()


class Counted(msgspec.Struct, frozen=True):
    """The figures that cost PostgreSQL an aggregate, and when they were counted."""

    lag: DispatcherLag
    deliveries: dict[str, int]
    at: datetime


def counted(pool: asyncpg.Pool, max_age: float) -> Refreshed[Counted]:
    """The aggregates run at most once every `max_age` seconds in this process, however many
    scrapers ask: counting deliveries reads the whole table."""

    async def count() -> Counted:
        lag = await dispatcher_lag(pool)
        return Counted(lag=lag, deliveries=await deliveries_by_status(pool), at=datetime.now(UTC))

    return Refreshed(count, max_age)


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            metrics: Metrics = scope["litestar_app"].state.metrics
            metrics.observe_latency(
                scope["method"],
                scope.get("path_template", "unmatched"),
                status,
                time.perf_counter() - started,
            )

    return middleware


def _require_token(request: Request, token: str | None) -> None:
    if token is None:
        # Not configured: answer as for any path that does not exist.
        raise NotFoundException()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    # compare_digest: how long the comparison takes says nothing about the token.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), token.encode()
    ):
        raise NotAuthorized("Send the metrics token as Authorization: Bearer METRICS_TOKEN.")


def metrics_endpoint(settings: Settings) -> HTTPRouteHandler:
    @get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        _require_token(request, settings.metrics_token)
        state = request.app.state
        metrics: Metrics = state.metrics
        figures: Counted = await state.counted.get()
        metrics.lag_events.set(figures.lag.events)
        metrics.lag_seconds.set(figures.lag.seconds)
        metrics.deliveries.clear()  # a status no delivery has any more is not shown stale
        for status, count in figures.deliveries.items():
            metrics.deliveries.labels(status).set(count)
        metrics.counted_at.set(figures.at.timestamp())
        try:
            # arq's queue is a sorted set of job ids; ZCARD costs Redis nothing.
            metrics.queue_depth.set(await state.redis.zcard(QUEUE))
        except (RedisError, OSError, TimeoutError):
            metrics.queue_depth.set(-1)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
