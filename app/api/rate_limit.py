"""Per-API-key rate limit shared by every API process through Redis.

One Lua script per request decides and records atomically (GCRA: a theoretical arrival time
per key, so the budget refills smoothly instead of resetting at minute boundaries). When Redis
cannot be reached the limiter lets the request through and says so in the log: a command must
never fail because Redis is down.
"""

from __future__ import annotations

import logging
import time

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("herald.rate_limit")

PERIOD_MS = 60_000
# After Redis failed to answer, requests go through without asking it for this long, and then
# one request at a time asks again: a hung Redis costs one request a timeout each second per
# API process, not every request.
PAUSE_AFTER_FAILURE = 1.0

# KEYS[1]: the key's state. ARGV[1]: requests per period. ARGV[2]: the period in ms.
# Returns {allowed (0|1), remaining, ms until retry (denied) or until the budget is full}.
_GCRA = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > period then
  return {0, 0, math.ceil(new_tat - period - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now))
return {1, math.floor((period - (new_tat - now)) / interval), math.ceil(new_tat - now)}
"""


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the whole budget is back (allowed) or the next try (denied)

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


async def add_rate_limit_headers(message: Message, scope: Scope) -> None:
    """Tell every limited caller where it stands (RateLimit-*), and a refused one when to retry."""
    decision = scope.get("state", {}).get("rate_limit")
    if message["type"] == "http.response.start" and decision is not None:
        headers = MutableScopeHeaders.from_message(message)
        for name, value in decision.headers().items():
            headers[name] = value


class RateLimiter:
    def __init__(self, redis: Redis, per_minute: int) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA)
        self.per_minute = per_minute
        self._last_warning = 0.0
        self._paused_until = 0.0
        self._failing = False

    async def check(self, api_key_id: str) -> Decision | None:
        """None when Redis could not be asked: the caller lets the request through."""
        if time.monotonic() < self._paused_until:
            return None
        if self._failing:  # this request asks whether Redis is back; the others go through
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        try:
            allowed, remaining, wait_ms = await self._script(
                keys=[f"herald:rate:{api_key_id}"], args=[self.per_minute, PERIOD_MS]
            )
        except (RedisError, OSError, TimeoutError) as error:
            self._failing = True
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
            # One line every ten seconds is enough to say the limiter is off.
            if time.monotonic() - self._last_warning > 10:
                self._last_warning = time.monotonic()
                log.warning("rate limiter unavailable, letting requests through: %s", error)
            return None
        self._failing = False
        self._paused_until = 0.0
        return Decision(
            allowed=bool(allowed),
            limit=self.per_minute,
            remaining=int(remaining),
            reset_seconds=max(1, -(-int(wait_ms) // 1000)),
        )
