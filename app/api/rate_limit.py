"""Per-API-key rate limit shared by every API process through Redis.

One Lua script decides and records atomically (GCRA: a theoretical arrival time per key, so
the budget refills smoothly instead of resetting at minute boundaries). A process takes a
hundredth of a key's budget at a time and spends it locally for at most a second, so a busy key
asks Redis about once a second per process rather than on every request; what a process took and
did not spend is lost to the budget, at most a hundredth of it per process at a time (under 200
requests a minute, a lease is one request, the same as asking each time). A lease still in use
near its end is renewed in the background, so a steadily busy key's requests do not wait for
Redis when the second is up. When Redis cannot be
reached the limiter lets the request through and says so in the log: a command must never fail
because Redis is down.
"""

from __future__ import annotations

import asyncio
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
# A lease's share of the budget, and how long its unspent requests may be spent: long enough
# that a busy key costs Redis one round trip a second per process, short enough that the
# RateLimit-Remaining a caller sees follows the other processes' spending.
LEASE_SHARE = 100
LEASE_SECONDS = 1.0
# A lease spent from this close to its end is renewed meanwhile: a round trip to a busy Redis
# from a busy event loop takes well under this.
RENEW_BEFORE = 0.2

# KEYS[1]: the key's state. ARGV[1]: requests per period. ARGV[2]: the period in ms. ARGV[3]:
# requests wanted. Returns {requests granted (0 when denied, else up to the wanted), remaining
# after them, ms until retry (denied) or until the budget is full}.
_GCRA = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat + interval - now > period then
  return {0, 0, math.ceil(tat + interval - period - now)}
end
local room = math.max(1, math.floor((period - (tat - now)) / interval))
local granted = math.min(tonumber(ARGV[3]), room)
local new_tat = tat + granted * interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now))
return {granted, math.floor((period - (new_tat - now)) / interval), math.ceil(new_tat - now)}
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
    """Tell every limited caller where it stands (RateLimit-*), and a refused one when to retry.
    Nothing else sets these headers, so they are added without looking for them first."""
    decision = scope.get("state", {}).get("rate_limit")
    if message["type"] == "http.response.start" and decision is not None:
        headers = MutableScopeHeaders.from_message(message)
        for name, value in decision.headers().items():
            headers.add(name, value)


class _Lease(msgspec.Struct):
    unspent: int
    remaining: int  # in Redis once the lease was taken
    reset_seconds: int
    until: float  # monotonic


class RateLimiter:
    def __init__(self, redis: Redis, per_minute: int) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA)
        self.per_minute = per_minute
        self._lease_size = max(1, per_minute // LEASE_SHARE)
        self._leases: dict[str, _Lease] = {}
        # One request per key asks Redis at a time; the others wait for its lease rather than
        # each taking one.
        self._asking: dict[str, asyncio.Lock] = {}
        self._renewing: dict[str, asyncio.Task] = {}
        self._last_warning = 0.0
        self._paused_until = 0.0
        self._failing = False

    async def check(self, api_key_id: str) -> Decision | None:
        """None when Redis could not be asked: the caller lets the request through."""
        spent = self._spend(api_key_id)
        if spent is not None:
            return spent
        async with self._asking.setdefault(api_key_id, asyncio.Lock()):
            return self._spend(api_key_id) or await self._ask(api_key_id)

    def _spend(self, api_key_id: str) -> Decision | None:
        lease = self._leases.get(api_key_id)
        now = time.monotonic()
        if lease is None or lease.unspent == 0 or now > lease.until:
            return None
        lease.unspent -= 1
        if lease.until - now < RENEW_BEFORE and api_key_id not in self._renewing:
            self._renewing[api_key_id] = asyncio.create_task(self._renew(api_key_id))
        return Decision(
            allowed=True,
            limit=self.per_minute,
            remaining=lease.remaining + lease.unspent,
            reset_seconds=lease.reset_seconds,
        )

    async def _renew(self, api_key_id: str) -> None:
        """Take the next lease before this one ends; its unspent requests are lost to the
        budget a moment earlier than they would have been."""
        try:
            async with self._asking.setdefault(api_key_id, asyncio.Lock()):
                lease = self._leases.get(api_key_id)
                if lease is not None and lease.until - time.monotonic() < RENEW_BEFORE:
                    await self._ask(api_key_id, spending=False)
        finally:
            del self._renewing[api_key_id]

    async def _ask(self, api_key_id: str, *, spending: bool = True) -> Decision | None:
        """Take a lease from Redis, one of whose requests this request spends if `spending`."""
        if time.monotonic() < self._paused_until:
            return None
        if self._failing:  # this request asks whether Redis is back; the others go through
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        try:
            granted, remaining, wait_ms = await self._script(
                keys=[f"herald:rate:{api_key_id}"],
                args=[self.per_minute, PERIOD_MS, self._lease_size],
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
        reset_seconds = max(1, -(-int(wait_ms) // 1000))
        if granted == 0:
            return Decision(
                allowed=False, limit=self.per_minute, remaining=0, reset_seconds=reset_seconds
            )
        self._leases[api_key_id] = _Lease(
            unspent=int(granted) - (1 if spending else 0),
            remaining=int(remaining),
            reset_seconds=reset_seconds,
            until=time.monotonic() + LEASE_SECONDS,
        )
        return Decision(
            allowed=True,
            limit=self.per_minute,
            remaining=int(remaining) + int(granted) - 1,
            reset_seconds=reset_seconds,
        )
