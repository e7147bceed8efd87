"""API key principals cached per process; a revocation reaches every process by NOTIFY.

A trigger on api_keys notifies `herald_api_key_revoked` when a key is revoked or deleted; each
process listens on a connection of its own and empties its cache on that notice, which arrives
as the revoking transaction commits. While that connection is down nothing is served from the
cache, so a lost notice cannot keep a revoked key alive; it reconnects every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

import asyncpg

from app.store.api_keys import Principal, find_principal
from app.store.pool import connect

log = logging.getLogger("herald.principals")

CHANNEL = "herald_api_key_revoked"
RECONNECT_AFTER = 1.0
MAX_ENTRIES = 10_000  # keys seen by one process; beyond that the cache starts over


class PrincipalCache:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._entries: dict[bytes, Principal] = {}  # by the key's hash: no key kept in memory
        # Bumped by every revocation: a lookup begun before one must not fill the cache after it.
        self._generation = 0
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_listening())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()

    def _revoked(self, *_: object) -> None:
        self._generation += 1
        self._entries.clear()

    async def _keep_listening(self) -> None:
        while True:
            try:
                listener = await connect(self._database_url)
                await listener.add_listener(CHANNEL, self._revoked)
            except Exception as error:  # any failure means: try again shortly
                log.warning("api key revocations not heard, caching off: %s", error)
            else:
                self._listener = listener
                lost = asyncio.Event()
                listener.add_termination_listener(lambda _, lost=lost: lost.set())
                self._revoked()  # whatever happened while no one listened
                await lost.wait()
                self._listener = None
                self._revoked()
            await asyncio.sleep(RECONNECT_AFTER)

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    async def find(self, pool: asyncpg.Pool, key: str) -> Principal | None:
        """The live key's principal, from memory while revocations are heard."""
        digest = hashlib.sha256(key.encode()).digest()
        cached = self._entries.get(digest)
        if cached is not None and self.listening:
            return cached
        generation = self._generation
        principal = await find_principal(pool, key)
        if principal is not None and self.listening and generation == self._generation:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = principal
        return principal
