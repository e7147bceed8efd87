"""Tell a CDN in front of the public pages to drop its copies when an update is redacted.

Every other change may wait the few seconds Cache-Control allows; redacted text must not. With
CDN_PURGE_URL set, each API process that hears of a redaction POSTs the addresses of the
organization's published pages there: JSON {"paths": [...], "prefixes": [...]}, absolute when
PUBLIC_URL is set. A purge is idempotent, so several replicas sending the same one is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import asyncpg
import httpx

from app.store.public_reads import published_slugs

TIMEOUT = 5.0
SURFACES = (
    "",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
    "/history.atom",
    "/history.rss",
    # This month's history; an incident's own page and earlier months go by the prefix.
    "/history",
)

logger = logging.getLogger(__name__)


class CdnPurge:
    def __init__(self, url: str | None, pool: asyncpg.Pool, public_base: str) -> None:
        self._url = url
        self._pool = pool
        self._base = public_base
        self._tasks: set[asyncio.Task[None]] = set()

    def redacted(self, organization: UUID) -> None:
        if self._url is None:
            return
        task = asyncio.get_running_loop().create_task(self._purge(organization))
        self._tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)

    async def _purge(self, organization: UUID) -> None:
        assert self._url is not None
        try:
            slugs = await published_slugs(self._pool, organization)
            if not slugs:
                return
            pages = [f"{self._base}/status/{slug}" for slug in slugs]
            body = {
                "paths": [page + surface for page in pages for surface in SURFACES],
                "prefixes": [page + "/" for page in pages],
            }
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.post(self._url, json=body)
            response.raise_for_status()
        except (httpx.HTTPError, asyncpg.PostgresError, OSError) as error:
            logger.warning("CDN purge after a redaction failed: %s", error)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
