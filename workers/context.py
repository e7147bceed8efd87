"""What jobs and the dispatcher share in one worker process, opened and closed together."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import asyncpg

from app.config import Settings
from app.crypto import keys_of
from app.domain.notifications import RetryPolicy
from app.store.pool import create_pool
from workers.delivery.guard import webhook_session
from workers.delivery.ledger import Ledger
from workers.delivery.notices import Notices
from workers.delivery.slots import Slots
from workers.links import Links


@dataclass(frozen=True)
class Context:
    settings: Settings
    pool: asyncpg.Pool
    http: aiohttp.ClientSession
    secret: Callable[[bytes], str]  # a subscriber's webhook secret from its ciphertext
    links: Links
    slots: Slots  # webhooks in flight
    ledger: Ledger  # what every job records and checks, together
    notices: Notices  # each update's Notice, read once

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            budget=self.settings.delivery_attempts,
            base=self.settings.retry_base,
            cap=self.settings.retry_cap,
        )


# Secrets decrypted, by ciphertext: a subscriber's later messages (retries, the next updates)
# skip Fernet's HMAC and AES. A rotated secret is a new ciphertext, so none is served stale;
# 10,000 of them hold a few MiB.
SECRETS_KEPT = 10_000


@asynccontextmanager
async def open_context(settings: Settings) -> AsyncIterator[Context]:
    keys = keys_of(settings)
    assert keys is not None, "run() refuses to start without SECRET_KEY"
    # Every running job may hold a connection while it claims, plus the ledger's two rounds,
    # the dispatcher and a Notice being read for the jobs (see delivery/notices.py).
    # No session state is left on them (the sweeper's advisory lock is let go where it is
    # taken), so a release costs no reset round trip.
    pool = await create_pool(
        settings.database_url, max_size=settings.worker_max_jobs + 5, keeps_session_state=False
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
            secret=functools.lru_cache(maxsize=SECRETS_KEPT)(keys.decrypt),
            links=Links(settings.base_url, keys),
            slots=slots,
            ledger=Ledger(pool),
            notices=Notices(pool),
        )
    finally:
        await http.close()
        await pool.close()
