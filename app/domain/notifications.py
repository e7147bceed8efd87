"""Which events tell subscribers, and what a delivery attempt's result leads to next.

Pure: the worker passes in the clock's readings and the randomness for jitter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal
from uuid import UUID

import msgspec

from app.domain.events import (
    ComponentStatusesChanged,
    Event,
    StatusChanged,
    UpdatePosted,
)

DeliveryStatus = Literal["pending", "delivered", "failed", "dead", "cancelled"]
# What one attempt showed: done, refused for good, or worth asking again.
Verdict = Literal["delivered", "failed", "retry"]


def notifies(event: Event) -> bool:
    """A public update posted with notifySubscribers; its status change travels with it."""
    return (
        isinstance(event, UpdatePosted)
        and event.visibility == "public"
        and event.notify_subscribers
    )


def through_update(history: Sequence[Event], update_id: UUID) -> list[Event]:
    """The stream up to the last event of `update_id`: the incident as that update left it."""
    end = 0
    for index, event in enumerate(history):
        match event:
            case UpdatePosted() | StatusChanged() | ComponentStatusesChanged() if (
                event.update_id == update_id
            ):
                end = index + 1
    return list(history[:end])


def idempotency_key(update_id: UUID, subscriber_id: UUID) -> str:
    """The same for every attempt at telling one subscriber of one update, however batched."""
    return hashlib.sha256(f"{update_id}:{subscriber_id}".encode()).hexdigest()[:32]


def http_verdict(status: int) -> Verdict:
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 429) or status >= 500:
        return "retry"
    # Redirects are never followed, and other client errors will not change by asking again.
    return "failed"


def smtp_verdict(code: int) -> Verdict:
    if 200 <= code < 300:
        return "delivered"
    return "retry" if 400 <= code < 500 else "failed"


class Attempt(msgspec.Struct, frozen=True):
    """How one attempt at sending went."""

    verdict: Verdict
    error: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    budget: int  # attempts per round; a manual retry starts a new round
    base: float
    cap: float


class Next(msgspec.Struct, frozen=True):
    status: DeliveryStatus
    delay: float = 0.0  # seconds until the next attempt, when status is pending


def after_attempt(
    attempt: Attempt,
    *,
    attempts: int,
    max_attempts: int,
    policy: RetryPolicy,
    jitter: float,
) -> Next:
    """`attempts` counts the one just made; `jitter` is uniform in [0, 1)."""
    if attempt.verdict != "retry":
        return Next(attempt.verdict)
    if attempts >= max_attempts:
        return Next("dead")
    in_round = attempts - (max_attempts - policy.budget)
    delay = min(policy.cap, policy.base * 2 ** max(in_round - 1, 0))
    # Equal jitter: receivers that failed together do not all come back at the same instant.
    delay = delay * (0.5 + jitter / 2)
    if attempt.retry_after is not None:
        delay = max(delay, min(attempt.retry_after, policy.cap))
    return Next("pending", delay)
