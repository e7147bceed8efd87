"""How many webhooks may be in flight: in all, and to any one host.

A message is stamped and signed when it gets its slot, so it leaves at once: waiting in the
HTTP client's own queue instead would age the stamp receivers check. The bound per host is
politeness toward a receiver that many subscribers share.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

PER_HOST = 8


class Slots:
    def __init__(self, total: int, per_host: int = PER_HOST) -> None:
        self._total = asyncio.Semaphore(total)
        self._per_host = per_host
        self._hosts: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, url: str) -> AsyncIterator[None]:
        """Wait for a slot to the URL's host and one overall."""
        parts = urlsplit(url)
        host = f"{parts.hostname}:{parts.port or parts.scheme}"
        if host not in self._hosts:
            self._hosts[host] = (asyncio.Semaphore(self._per_host), [0])
        bound, users = self._hosts[host]
        users[0] += 1
        try:
            async with bound, self._total:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._hosts[host]
