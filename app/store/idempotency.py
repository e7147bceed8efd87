"""Stored outcomes of writes sent with an Idempotency-Key, scoped to the organization."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg
import msgspec

from app.domain.errors import DomainError
from app.store.codec import encode_json

KEY_LIFETIME = timedelta(hours=24)


class StoredError(msgspec.Struct, frozen=True):
    code: str
    message: str
    field: list[str | int] | None = None

    def to_error(self) -> DomainError:
        return DomainError(
            self.code, self.message, None if self.field is None else tuple(self.field)
        )

    @classmethod
    def of(cls, error: DomainError) -> StoredError:
        """Only a rule's refusal is an outcome: the same command would be refused again."""
        assert error.kind == "rule", error
        return cls(error.code, error.message, None if error.field is None else list(error.field))


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    fingerprint: bytes
    status: int
    resource_id: UUID | None = None
    error: StoredError | None = None


class KeyTaken(Exception):
    """Another request stored an outcome under the key first; nothing of this one was kept."""


class Keyed(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome a command stores under its key with its own writes, in the same statement,
    which also lets go of the key (see `claim_key`)."""

    organization_id: UUID
    key: str
    outcome: Outcome

    @property
    def lock(self) -> str:
        return _lock_name(self.organization_id, self.key)


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome | None  # the key's live outcome: nothing was locked
    held: bool  # without an outcome: whether this connection now holds the key


def _lock_name(organization_id: UUID, key: str) -> str:
    return f"{organization_id}:{key}"


def _outcome(row: asyncpg.Record) -> Outcome | None:
    if row["fingerprint"] is None:
        return None
    error = None if row["error"] is None else msgspec.json.decode(row["error"], type=StoredError)
    return Outcome(
        fingerprint=row["fingerprint"],
        status=row["status"],
        resource_id=row["resource_id"],
        error=error,
    )


async def lock_key(conn: asyncpg.Connection, organization_id: UUID, key: str) -> bool:
    """Hold the key until the caller's transaction ends; False while another request holds it."""
    return await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 1))",
        _lock_name(organization_id, key),
    )


async def find_outcome(conn: asyncpg.Connection, organization_id: UUID, key: str) -> Outcome | None:
    row = await conn.fetchrow(
        "SELECT fingerprint, status, resource_id, error::text AS error FROM idempotency_keys"
        " WHERE organization_id = $1 AND key = $2 AND created_at > now() - $3::interval",
        organization_id,
        key,
        KEY_LIFETIME,
    )
    return None if row is None else _outcome(row)


# Without a live outcome, the key's lock is taken for the session (a command's statements run
# outside a transaction) and an expired row of the key is removed, so that the outcome's plain
# INSERT fails only on an outcome stored meanwhile: that unique key, not the lock, is what keeps
# a command from running twice; the lock answers a retry "in flight" while the first runs.
_CLAIM = (
    "WITH found AS (SELECT fingerprint, status, resource_id, error::text AS error"
    "  FROM idempotency_keys"
    "  WHERE organization_id = $1 AND key = $2 AND created_at > now() - $3::interval),"
    " claimed AS (SELECT pg_try_advisory_lock(hashtextextended($4, 1)) AS held"
    "  WHERE NOT EXISTS (SELECT FROM found)),"
    " expired AS (DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2"
    "  AND (SELECT held FROM claimed))"
    " SELECT (SELECT held FROM claimed) AS held, found.*"
    " FROM (SELECT) AS one LEFT JOIN found ON true"
)


async def claim_key(conn: asyncpg.Connection, organization_id: UUID, key: str) -> Claim:
    """The key's live outcome, or else the key held by this connection until a statement that
    stores the outcome (or `release_key`) lets go of it, in one round trip."""
    row = await conn.fetchrow(
        _CLAIM, organization_id, key, KEY_LIFETIME, _lock_name(organization_id, key)
    )
    return Claim(outcome=_outcome(row), held=bool(row["held"]))


async def release_key(conn: asyncpg.Connection, organization_id: UUID, key: str) -> None:
    """Let go of a key `claim_key` took, where no statement that stores its outcome did; a
    no-op if one did."""
    await conn.execute(
        "SELECT pg_advisory_unlock(hashtextextended($1, 1))", _lock_name(organization_id, key)
    )


async def store_keyed(conn: asyncpg.Connection, keyed: Keyed) -> None:
    """Store an outcome under a claimed key and let go of it, for a command that wrote nothing."""
    try:
        await conn.execute(
            "WITH stored AS (INSERT INTO idempotency_keys"
            " (organization_id, key, fingerprint, status, resource_id, error)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb))"
            " SELECT pg_advisory_unlock(hashtextextended($7, 1))",
            *keyed_values(keyed),
            keyed.lock,
        )
    except asyncpg.UniqueViolationError as error:
        raise KeyTaken from error


def keyed_values(keyed: Keyed) -> tuple:
    """The columns of an idempotency_keys row, in order, as a statement takes them."""
    outcome = keyed.outcome
    return (
        keyed.organization_id,
        keyed.key,
        outcome.fingerprint,
        outcome.status,
        outcome.resource_id,
        None if outcome.error is None else encode_json(outcome.error),
    )


async def save_outcome(
    conn: asyncpg.Connection, organization_id: UUID, key: str, outcome: Outcome
) -> None:
    # An expired row may still be there until the cleanup job runs: the new outcome replaces it.
    await conn.execute(
        "INSERT INTO idempotency_keys (organization_id, key, fingerprint, status, resource_id,"
        " error) VALUES ($1, $2, $3, $4, $5, $6::jsonb)"
        " ON CONFLICT (organization_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
        " status = excluded.status, resource_id = excluded.resource_id, error = excluded.error,"
        " created_at = now()",
        organization_id,
        key,
        outcome.fingerprint,
        outcome.status,
        outcome.resource_id,
        None if outcome.error is None else encode_json(outcome.error),
    )


async def delete_expired_keys(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    status = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at <= now() - $1::interval", KEY_LIFETIME
    )
    return int(status.split()[-1])
