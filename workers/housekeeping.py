"""Periodic clean-up jobs: tables do not grow without end, addresses are not kept past their use."""

from __future__ import annotations

import logging
from typing import Any

from app.store.idempotency import delete_expired_keys
from app.store.subscription_requests import forget_expired_signups
from workers.links import CONFIRMATION_LIFETIME

log = logging.getLogger("herald.worker")


async def expire_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Idempotency keys answer retries for 24 hours; older ones only take space."""
    deleted = await delete_expired_keys(ctx["herald"].pool)
    if deleted:
        log.info("removed %d expired idempotency keys", deleted)
    return deleted


async def forget_unconfirmed_signups(ctx: dict[str, Any]) -> int:
    """An address nobody confirmed is kept only while a link to confirm it still works."""
    async with ctx["herald"].pool.acquire() as conn:
        forgotten = await forget_expired_signups(conn, CONFIRMATION_LIFETIME)
    if forgotten:
        log.info("forgot %d sign-ups whose confirmation link expired", forgotten)
    return forgotten
