"""How many webhooks may be in flight: in all, and to any one host.

The bound per host is politeness toward a receiver that many subscribers share. A message is
stamped, checked against redactions and signed (`ready`) while it is next in line, as the
requests ahead of it are still on the wire, so that its slot carries nothing but its request:
a check that waited for a slot would hold it for a round trip to PostgreSQL, and with eight
slots to a host that round trip would bound the rate. A message whose wait for its slot after
that took longer than FRESH is made ready again, so none leaves more than FRESH after its check
(and its stamp is as fresh as receivers expect).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from urllib.parse import urlsplit

PER_HOST = 8
FRESH = 0.05  # seconds

T = TypeVar("T")


class _Host:
    def __init__(self, per_host: int) -> None:
        self.bound = asyncio.Semaphore(per_host)  # requests on the wire
        self.next = asyncio.Semaphore(2 * per_host)  # those, and as many next in line
        self.users = 0


class Slots:
    def __init__(self, total: int, per_host: int = PER_HOST) -> None:
        self._total = asyncio.Semaphore(total)
        self._per_host = per_host
        self._hosts: dict[str, _Host] = {}

    @asynccontextmanager
    async def hold(self, url: str, ready: Callable[[], Awaitable[T]]) -> AsyncIterator[T]:
        """Wait until next in line to the URL's host, run `ready`, then wait for a slot to
        that host and one overall; yields what `ready` returned last."""
        parts = urlsplit(url)
        name = f"{parts.hostname}:{parts.port or parts.scheme}"
        host = self._hosts.get(name) or self._hosts.setdefault(name, _Host(self._per_host))
        host.users += 1
        loop = asyncio.get_running_loop()
        try:
            async with host.next:
                prepared = await ready()
                checked = loop.time()
                async with host.bound, self._total:
                    if loop.time() - checked > FRESH:
                        prepared = await ready()
                    yield prepared
        finally:
            host.users -= 1
            if host.users == 0:
                del self._hosts[name]
