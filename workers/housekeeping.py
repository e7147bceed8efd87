"""Periodic clean-up jobs that keep tables from growing without end."""

from __future__ import annotations

import logging
from typing import Any

from app.store.idempotency import delete_expired_keys

log = logging.getLogger("herald.worker")


async def expire_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Idempotency keys answer retries for 24 hours; older ones only take space."""
    deleted = await delete_expired_keys(ctx["herald"].pool)
    if deleted:
        log.info("removed %d expired idempotency keys", deleted)
    return deleted
