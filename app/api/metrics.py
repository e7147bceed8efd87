"""Prometheus metrics: request latency by route, events appended, and, read when scraped, the
dispatcher's lag, deliveries by status and the delivery queue's depth."""

from __future__ import annotations

import time

from litestar import Request, Response, get
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

from app.store.operations import deliveries_by_status, dispatcher_lag
from workers.sweeper import QUEUE


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
            metrics.latency.labels(
                scope["method"], scope.get("path_template", "unmatched"), str(status)
            ).observe(time.perf_counter() - started)

    return middleware


@get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response:
    state = request.app.state
    metrics: Metrics = state.metrics
    lag = await dispatcher_lag(state.pool)
    metrics.lag_events.set(lag.events)
    metrics.lag_seconds.set(lag.seconds)
    for status, count in (await deliveries_by_status(state.pool)).items():
        metrics.deliveries.labels(status).set(count)
    try:
        # arq's queue is a sorted set of job ids.
        metrics.queue_depth.set(await state.redis.zcard(QUEUE))
    except (RedisError, OSError, TimeoutError):
        metrics.queue_depth.set(-1)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
