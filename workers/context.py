"""What jobs and the dispatcher share in one worker process, opened and closed together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import asyncpg

from app.config import Settings
from app.crypto import Keys, keys_of
from app.domain.notifications import RetryPolicy
from app.store.pool import create_pool
from workers.delivery.guard import webhook_session
from workers.delivery.ledger import Ledger
from workers.delivery.slots import Slots
from workers.links import Links


@dataclass(frozen=True)
class Context:
    settings: Settings
    pool: asyncpg.Pool
    http: aiohttp.ClientSession
    keys: Keys
    links: Links
    slots: Slots  # webhooks in flight
    ledger: Ledger  # what every job records and checks, together

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            budget=self.settings.delivery_attempts,
            base=self.settings.retry_base,
            cap=self.settings.retry_cap,
        )


@asynccontextmanager
async def open_context(settings: Settings) -> AsyncIterator[Context]:
    keys = keys_of(settings)
    assert keys is not None, "run() refuses to start without SECRET_KEY"
    # Every running job may hold a connection while it claims, plus the ledger's two rounds
    # and the dispatcher.
    # No session state is left on them (the sweeper's advisory lock is let go where it is
    # taken), so a release costs no reset round trip.
    pool = await create_pool(
        settings.database_url, max_size=settings.worker_max_jobs + 4, keeps_session_state=False
    )
    slots = Slots(max(100, settings.delivery_batch * 2))
    http = webhook_session(
        allow_private=settings.webhook_allow_private, timeout=settings.send_timeout
    )
    try:
        yield Context(
            settings=settings,
            pool=pool,
            http=http,
            keys=keys,
            links=Links(settings.base_url, keys),
            slots=slots,
            ledger=Ledger(pool),
        )
    finally:
        await http.close()
        await pool.close()
