"""Webhook secrets at rest, moved to the current SECRET_KEY after a rotation."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from app.crypto import Keys, SecretUnreadable

BATCH = 500

_READ = (
    "SELECT id, secret_encrypted FROM subscribers"
    " WHERE secret_encrypted IS NOT NULL AND ($1::uuid IS NULL OR id > $1)"
    " ORDER BY id LIMIT $2"
)
# Compare-and-set: a row changed since it was read keeps what it holds now.
_REPLACE = "UPDATE subscribers SET secret_encrypted = $3 WHERE id = $1 AND secret_encrypted = $2"


class Reencrypted(msgspec.Struct, frozen=True, kw_only=True):
    moved: int  # were under an old key, now under SECRET_KEY
    current: int  # were under SECRET_KEY already
    unreadable: tuple[UUID, ...]  # no configured key decrypts them; left as they are


async def reencrypt_webhook_secrets(
    conn: asyncpg.Connection, keys: Keys, batch: int = BATCH
) -> Reencrypted:
    """Put every stored webhook secret, removed subscribers' too, under SECRET_KEY.

    Idempotent: a second run finds every secret current and writes nothing. Each batch is its
    own transaction, so a large table is never locked at once and an interrupted run resumes.
    """
    moved = current = 0
    unreadable: list[UUID] = []
    after: UUID | None = None
    while rows := await conn.fetch(_READ, after, batch):
        after = rows[-1]["id"]
        replacements = []
        for row in rows:
            try:
                fresh = keys.reencrypt(row["secret_encrypted"])
            except SecretUnreadable:
                unreadable.append(row["id"])
                continue
            if fresh is None:
                current += 1
            else:
                replacements.append((row["id"], row["secret_encrypted"], fresh))
        if replacements:
            async with conn.transaction():
                await conn.executemany(_REPLACE, replacements)
            moved += len(replacements)
    return Reencrypted(moved=moved, current=current, unreadable=tuple(unreadable))
