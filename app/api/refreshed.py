"""A value computed again at most once every so many seconds, however often it is asked for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Refreshed(Generic[T]):
    """Holds what `load` returned, and calls it again only once the value is `max_age` seconds
    old. Callers that arrive while a load runs wait for it instead of starting their own, so a
    burst of requests costs one load; a load that fails is tried again by the next caller."""

    def __init__(
        self,
        load: Callable[[], Awaitable[T]],
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._max_age = max_age
        self._clock = clock
        self._lock = asyncio.Lock()
        self._held: tuple[T, float] | None = None  # the value, and when it was loaded
        self.loads = 0  # how many times `load` ran

    async def get(self) -> T:
        async with self._lock:
            if self._held is None or self._clock() - self._held[1] >= self._max_age:
                self.loads += 1
                self._held = (await self._load(), self._clock())
            return self._held[0]
