"""The public subscribe form: double opt-in, with limits so it cannot be used to bomb an inbox.

Each request is recorded with a hash of the address and the client's address. Past the limit
per address the request is answered as usual but sends nothing (the answer must not tell
whether an address is subscribed); past the limit per client it is refused. A sign-up nobody
confirmed is forgotten, address and all, once its last confirmation link has expired.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Literal

import asyncpg

from app.domain.catalog import StatusPage
from app.store.deliveries import create_confirmation
from app.store.subscribers import (
    Preferences,
    check_components_on_page,
    create_subscriber,
    find_active,
)

MAILS_PER_ADDRESS = 3
ADDRESS_WINDOW = timedelta(days=1)
REQUESTS_PER_CLIENT = 10
CLIENT_WINDOW = timedelta(hours=1)

Outcome = Literal["sent", "not_sent", "client_limited"]

_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))"
# A link is minted a little after its row is claimed (last_attempt_at), by a clock that may be a
# little off PostgreSQL's; a job lasts a minute at most.
SEND_MARGIN = timedelta(minutes=10)
# Unconfirmed sign-ups whose every confirmation mail went out (or gave up) more than $2 ago: no
# link to them works any more. One still owed a mail is kept, since its mail brings a new link.
_EXPIRED = (
    "SELECT s.id, s.target FROM subscribers s"
    " WHERE s.channel = 'email' AND s.confirmed_at IS NULL"
    " AND ($1::uuid[] IS NULL OR s.id = ANY($1::uuid[]))"
    " AND s.created_at < now() - $2::interval AND NOT EXISTS (SELECT 1 FROM deliveries d"
    "     WHERE d.subscriber_id = s.id AND d.kind = 'confirmation' AND (d.status = 'pending'"
    "     OR greatest(d.created_at, d.last_attempt_at, d.delivered_at) > now() - $2::interval))"
    " ORDER BY s.id LIMIT $3"
)


def _address_hash(address: str) -> bytes:
    return hashlib.sha256(address.strip().lower().encode()).digest()


async def _count(conn: asyncpg.Connection, column: str, value: object, window: timedelta) -> int:
    return await conn.fetchval(
        f"SELECT count(*) FROM subscription_requests WHERE {column} = $1"
        " AND requested_at > now() - $2::interval",
        value,
        window,
    )


async def request_subscription(
    conn: asyncpg.Connection,
    page: StatusPage,
    *,
    address: str,
    preferences: Preferences,
    client: str,
    max_attempts: int,
) -> Outcome:
    """Record the request and, within the limits, owe the address a confirmation mail."""
    check_components_on_page(page, preferences.component_ids)
    digest = _address_hash(address)
    async with conn.transaction():
        # Requests for one address, or from one client, queue here so that counts are exact.
        for key in (digest.hex(), f"client:{client}"):
            await conn.execute(_LOCK, key)
        if await _count(conn, "client", client, CLIENT_WINDOW) >= REQUESTS_PER_CLIENT:
            return "client_limited"
        sent = await _count(conn, "address_hash", digest, ADDRESS_WINDOW)
        await conn.execute(
            "INSERT INTO subscription_requests (address_hash, client) VALUES ($1, $2)",
            digest,
            client,
        )
        subscriber = await find_active(conn, page.id, "email", address)
        if sent >= MAILS_PER_ADDRESS or (subscriber and subscriber.confirmed_at is not None):
            return "not_sent"
        if subscriber is None:
            subscriber = await create_subscriber(
                conn,
                page,
                channel="email",
                target=address,
                preferences=preferences,
                secret_encrypted=None,
                confirmed=False,
            )
        await create_confirmation(
            conn,
            organization_id=page.organization_id,
            page_id=page.id,
            subscriber_id=subscriber.id,
            max_attempts=max_attempts,
        )
        return "sent"


async def forget_old_requests(conn: asyncpg.Connection) -> None:
    """Records older than the longest window count for nothing; keep no more than needed."""
    await conn.execute(
        "DELETE FROM subscription_requests WHERE requested_at < now() - $1::interval",
        max(ADDRESS_WINDOW, CLIENT_WINDOW),
    )


async def forget_expired_signups(
    conn: asyncpg.Connection, link_lifetime: timedelta, batch: int = 100
) -> int:
    """Delete sign-ups that can no longer be confirmed, with their confirmation deliveries;
    returns how many.

    Each batch takes the address locks the form takes, then looks again: a request for the same
    address that came in meanwhile owes it a new mail, and keeps it.
    """
    forgotten = 0
    after = link_lifetime + SEND_MARGIN
    while True:
        async with conn.transaction():
            candidates = await conn.fetch(_EXPIRED, None, after, batch)
            for key in sorted({_address_hash(row["target"]).hex() for row in candidates}):
                await conn.execute(_LOCK, key)
            ids = [row["id"] for row in candidates]
            expired = [row["id"] for row in await conn.fetch(_EXPIRED, ids, after, batch)]
            await conn.execute(
                "DELETE FROM deliveries WHERE subscriber_id = ANY($1::uuid[])", expired
            )
            await conn.execute("DELETE FROM subscribers WHERE id = ANY($1::uuid[])", expired)
        forgotten += len(expired)
        if len(candidates) < batch:
            return forgotten
