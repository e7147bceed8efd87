"""Which organizations' public pages changed, as PostgreSQL tells this process by NOTIFY.

One dedicated connection LISTENs on herald_pages (schema.sql's triggers send it at commit).
Each organization has a counter here that every notification about it moves on; a page
rendered under one value is stale once the counter moves. Nothing is trusted while the
connection is down: `version` is then None and pages are rendered afresh. Every `check_every`
seconds one small query compares the log's last position and the catalog's counter with what
the notifications said; if either is ahead, a notification was missed and every page is stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from uuid import UUID

import asyncpg

from app.store.pool import connect

CHANNEL = "herald_pages"
APPLICATION_NAME = "herald-pages"
REBUILT = "*:rebuild:0"  # sent by a rebuild once the new projections are in place

_LATEST = (
    "SELECT (SELECT coalesce(max(position), 0) FROM events) AS position,"
    " (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM catalog_changes) AS catalog"
)

logger = logging.getLogger(__name__)

Version = tuple[int, int]


class PageChanges:
    def __init__(
        self,
        database_url: str,
        *,
        check_every: float = 5.0,
        on_redacted: Callable[[UUID], None] = lambda organization: None,
    ) -> None:
        self._database_url = database_url
        self._on_redacted = on_redacted
        self._check_every = check_every
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # one query at a time on the connection
        self._task: asyncio.Task[None] | None = None
        self._epoch = 0  # moves when everything may be stale
        self._organizations: dict[UUID, int] = {}
        self._catalog = 0  # moves with any page or component of any organization
        self._heard = (0, 0)  # (log position, catalog counter) the notifications reached
        self._writes = 0
        self._settled = 0

    # What callers see -------------------------------------------------------------------------

    def version(self, organization: UUID) -> Version | None:
        """The organization's pages as last told; None while no notification can arrive."""
        if self._conn is None or self._conn.is_closed():
            return None
        return (self._epoch, self._organizations.get(organization, 0))

    def catalog_version(self) -> Version | None:
        """Which pages exist and under which address, as last told."""
        if self._conn is None or self._conn.is_closed():
            return None
        return (self._epoch, self._catalog)

    def wrote(self) -> None:
        """This process committed a change: the next read waits until its notification is in."""
        self._writes += 1

    async def settle(self) -> None:
        """Return once every notification of the writes this process finished has been handled.

        A query on the listening connection answers only after the notifications committed
        before it, whose handlers asyncpg schedules before it hands back the answer.
        """
        target = self._writes
        if self._settled >= target:
            return
        async with self._lock:
            if self._settled >= target:
                return
            conn = self._conn
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await conn.execute("SELECT 1")
                    await asyncio.sleep(0)
            self._settled = max(self._settled, target)

    # The connection ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            await self._conn.close()

    async def _connect(self) -> None:
        conn = await connect(self._database_url)
        await conn.execute(f"SET application_name = '{APPLICATION_NAME}'")
        await conn.add_listener(CHANNEL, self._heard_of)
        self._conn = conn
        # Listening first, then reading where things stand: nothing falls in between.
        await self._check()
        self._everything_changed()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._check_every)
            try:
                if self._conn is None or self._conn.is_closed():
                    await self._connect()
                else:
                    await self._check()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                logger.warning("page notifications unavailable, pages render afresh: %s", error)
                if self._conn is not None:
                    self._conn.terminate()

    async def _check(self) -> None:
        assert self._conn is not None
        async with self._lock:
            row = await self._conn.fetchrow(_LATEST)
        latest = (row["position"], row["catalog"])
        if latest[0] > self._heard[0] or latest[1] > self._heard[1]:
            self._heard = (max(latest[0], self._heard[0]), max(latest[1], self._heard[1]))
            self._everything_changed()

    def _everything_changed(self) -> None:
        self._epoch += 1
        self._organizations.clear()

    def _heard_of(self, conn: object, pid: int, channel: str, payload: str) -> None:
        organization, kind, counter = [*payload.split(":"), "", ""][:3]
        try:
            value = int(counter)
            changed = UUID(organization) if organization != "*" else None
        except ValueError:
            changed, value = None, 0
        if kind in ("events", "redacted"):
            self._heard = (max(self._heard[0], value), self._heard[1])
        elif kind == "catalog":
            self._heard = (self._heard[0], max(self._heard[1], value))
            self._catalog += 1
        if changed is None:
            self._everything_changed()
        else:
            self._organizations[changed] = self._organizations.get(changed, 0) + 1
            if kind == "redacted":
                self._on_redacted(changed)
