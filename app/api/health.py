"""Probes for orchestrators. Readiness needs PostgreSQL only: without Redis or the worker an
API replica still takes commands and serves pages, which is the point of the dispatcher."""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get

READY_TIMEOUT = 2.0


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    try:
        await asyncio.wait_for(request.app.state.pool.fetchval("SELECT 1"), READY_TIMEOUT)
    except Exception as error:  # whatever the failure, this replica cannot serve
        return Response(
            {"status": "unavailable", "reason": f"PostgreSQL: {type(error).__name__}"},
            status_code=503,
        )
    return Response({"status": "ready"})
