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


async def lock_key(conn: asyncpg.Connection, organization_id: UUID, key: str) -> bool:
    """Hold the key until the caller's transaction ends; False while another request holds it."""
    return await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 1))", f"{organization_id}:{key}"
    )


async def find_outcome(conn: asyncpg.Connection, organization_id: UUID, key: str) -> Outcome | None:
    row = await conn.fetchrow(
        "SELECT fingerprint, status, resource_id, error::text AS error FROM idempotency_keys"
        " WHERE organization_id = $1 AND key = $2 AND created_at > now() - $3::interval",
        organization_id,
        key,
        KEY_LIFETIME,
    )
    if row is None:
        return None
    error = None if row["error"] is None else msgspec.json.decode(row["error"], type=StoredError)
    return Outcome(
        fingerprint=row["fingerprint"],
        status=row["status"],
        resource_id=row["resource_id"],
        error=error,
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
