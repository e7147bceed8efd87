"""Databases cloned from a template ahead of need, so a test does not wait for its own.

Each test still gets a database no other test has touched, cloned from the migrated template
and dropped afterwards; only the waiting moves off the test's path. A thread of its own keeps a
few clones ready and drops used ones meanwhile: clones are made side by side on the server,
and DROP DATABASE, the slower of the two, no longer holds up the next test.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import uuid
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

import asyncpg

from testkit.databases import database_url

TAKE_TIMEOUT = 120.0  # seconds: a server that cannot clone within this is reported, not waited on


class Clones:
    """Hands out URLs of fresh clones of `template`, one per `take()`; `give_back` drops one."""

    def __init__(self, admin_url: str, template: str, *, ahead: int = 3) -> None:
        self.admin_url = admin_url
        self.template = template
        self.prefix = f"herald_test_{uuid.uuid4().hex[:12]}_"  # this instance's clones
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._names: dict[str, str] = {}  # URL handed out -> database name
        self._dropping: set[asyncio.Task] = set()
        self._call(self._open(ahead)).result()

    def take(self) -> str:
        """The URL of a clone nobody has used; another clone is started in its place."""
        item = self._ready.get(timeout=TAKE_TIMEOUT)
        self._loop.call_soon_threadsafe(self._slots.release)
        if isinstance(item, BaseException):
            raise item
        url = database_url(self.admin_url, item)
        self._names[url] = item
        return url

    def give_back(self, url: str) -> None:
        """Drop the clone at `url` in the background, ending its connections."""
        name = self._names.pop(url)
        self._loop.call_soon_threadsafe(self._start_drop, name)

    def close(self) -> None:
        """Stop cloning, drop every clone left, and wait for all drops to finish."""
        self._call(self._close()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def _start_drop(self, name: str) -> None:
        task = asyncio.create_task(self._drop(name))
        self._dropping.add(task)
        task.add_done_callback(self._dropping.discard)

    async def _open(self, ahead: int) -> None:
        self._admin = await asyncpg.create_pool(self.admin_url, min_size=1, max_size=ahead + 1)
        self._slots = asyncio.Semaphore(ahead)
        self._filling = asyncio.create_task(self._fill())

    async def _fill(self) -> None:
        creating: set[asyncio.Task] = set()
        try:
            while True:
                await self._slots.acquire()
                task = asyncio.create_task(self._create())
                creating.add(task)
                task.add_done_callback(creating.discard)
        except asyncio.CancelledError:
            await asyncio.gather(*creating, return_exceptions=True)
            raise

    async def _create(self) -> None:
        name = f"{self.prefix}{uuid.uuid4().hex[:12]}"
        try:
            await self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        except Exception as error:  # handed to the test that takes this slot
            self._ready.put(error)
        else:
            self._ready.put(name)

    async def _drop(self, name: str) -> None:
        await self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _close(self) -> None:
        self._filling.cancel()
        await asyncio.gather(self._filling, return_exceptions=True)
        left = []
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if isinstance(item, str):
                left.append(item)
        # A failed drop leaves a stray database behind, nothing worse.
        await asyncio.gather(
            *(self._drop(name) for name in left), *self._dropping, return_exceptions=True
        )
        await self._admin.close()
