"""How many webhooks may be in flight: in all, and to any one host, each on a lane of its own.

httpcore's pool hands a freed connection to every request waiting for that host at once; all
but one fail over and try again, which costs more CPU than the sending itself when many
requests wait for one host (measured: 16 at a time to one receiver ran 3x slower than 4). So
requests to one host go on separate lanes, one client each, and no pool ever holds two
requests for the same host. The bound per host is also politeness toward a receiver that many
subscribers share.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

PER_HOST = 8


class Slots:
    def __init__(self, total: int, lanes: int = PER_HOST) -> None:
        self._total = asyncio.Semaphore(total)
        self.lanes = lanes
        self._hosts: dict[str, tuple[asyncio.Queue[int], list[int]]] = {}

    @asynccontextmanager
    async def hold(self, url: str) -> AsyncIterator[int]:
        """Wait for a free lane to the URL's host and a slot overall; yields the lane."""
        host = urlsplit(url).netloc
        if host not in self._hosts:
            free: asyncio.Queue[int] = asyncio.Queue()
            for lane in range(self.lanes):
                free.put_nowait(lane)
            self._hosts[host] = (free, [0])
        free, users = self._hosts[host]
        users[0] += 1
        try:
            lane = await free.get()
            try:
                async with self._total:
                    yield lane
            finally:
                free.put_nowait(lane)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._hosts[host]
