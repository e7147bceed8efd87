"""Each update's Notice read once per worker process, not once per job of its fan-out.

A fan-out of 10,000 runs 200 jobs, 20 at a time, and each would read and fold the incident's
stream and the update bodies for the same Notice. Kept by the incident stream's version, read
by each job: a redaction appends to the stream, so a job that starts after it commits misses
the kept Notice and reads the redacted one (None for the redacted update itself).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from app.store.notices import Notice, incident_version, load_notice

KEPT = 64  # updates whose fan-outs overlap in one process

_Key = tuple[UUID, UUID, int]  # incident, update, the incident stream's version


class Notices:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._kept: dict[_Key, asyncio.Task[Notice | None]] = {}

    async def notice(
        self, conn: asyncpg.Connection, incident_id: UUID, update_id: UUID
    ) -> Notice | None:
        """The update's Notice as of a moment after this call began; None once redacted."""
        # The version is read before the Notice: a redaction that commits between the two
        # makes the Notice more redacted than its key says, never less.
        key = (incident_id, update_id, await incident_version(conn, incident_id))
        loading = self._kept.get(key)
        if loading is None:
            # The first job's read is every job's: on the pool, so that a job that is
            # cancelled does not take the others' read with it.
            loading = asyncio.create_task(load_notice(self._pool, incident_id, update_id))
            loading.add_done_callback(lambda done: self._forget_failed(key, done))
            self._kept[key] = loading
            if len(self._kept) > KEPT:
                del self._kept[next(iter(self._kept))]
        return await asyncio.shield(loading)

    def _forget_failed(self, key: _Key, done: asyncio.Task[Notice | None]) -> None:
        # A read that failed (the connection broke) is tried again by the next job.
        if (done.cancelled() or done.exception() is not None) and self._kept.get(key) is done:
            del self._kept[key]
