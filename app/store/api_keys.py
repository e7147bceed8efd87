"""Organizations, members and their API keys; keys are stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from app.domain.values import Actor
from app.ids import new_id

SCOPES = ("incidents:write", "subscribers:write", "read")
KEY_PREFIX = "hrld_"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who a request acts as: a member of one organization, with the key's scopes."""

    organization_id: UUID
    member: Actor
    scopes: frozenset[str]
    key_id: UUID


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def ensure_organization(conn: asyncpg.Connection, slug: str) -> UUID:
    return await conn.fetchval(
        "INSERT INTO organizations (id, slug) VALUES ($1, $2)"
        " ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
        new_id(),
        slug,
    )


async def ensure_member(conn: asyncpg.Connection, organization_id: UUID, name: str) -> UUID:
    return await conn.fetchval(
        "INSERT INTO members (id, organization_id, name) VALUES ($1, $2, $3)"
        " ON CONFLICT (organization_id, name) DO UPDATE SET name = excluded.name RETURNING id",
        new_id(),
        organization_id,
        name,
    )


async def create_api_key(
    conn: asyncpg.Connection, organization_slug: str, member_name: str, scopes: tuple[str, ...]
) -> str:
    """Create the organization and member if needed; returns the new key, shown only now."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    async with conn.transaction():
        organization_id = await ensure_organization(conn, organization_slug)
        member_id = await ensure_member(conn, organization_id, member_name)
        await conn.execute(
            "INSERT INTO api_keys (id, member_id, key_hash, scopes) VALUES ($1, $2, $3, $4)",
            new_id(),
            member_id,
            _hash(key),
            sorted(set(scopes)),
        )
    return key


async def rotate_api_key(
    conn: asyncpg.Connection, organization_slug: str, member_name: str, scopes: tuple[str, ...]
) -> str:
    """Like create_api_key, and revoke the member's earlier keys in the same transaction."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND member_id IN"
            " (SELECT m.id FROM members m JOIN organizations o ON o.id = m.organization_id"
            "  WHERE o.slug = $1 AND m.name = $2)",
            organization_slug,
            member_name,
        )
        return await create_api_key(conn, organization_slug, member_name, scopes)


class KeyInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What can be shown of a key: everything but the key, which is not stored."""

    id: UUID
    organization: str
    member: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


async def list_api_keys(conn: asyncpg.Connection, organization_slug: str | None) -> list[KeyInfo]:
    """Every key, revoked ones included, oldest first; of one organization when given."""
    rows = await conn.fetch(
        "SELECT k.id, o.slug AS organization, m.name AS member, k.scopes, k.created_at,"
        " k.revoked_at FROM api_keys k JOIN members m ON m.id = k.member_id"
        " JOIN organizations o ON o.id = m.organization_id"
        " WHERE $1::text IS NULL OR o.slug = $1 ORDER BY k.created_at, k.id",
        organization_slug,
    )
    return [KeyInfo(**{**dict(row), "scopes": tuple(row["scopes"])}) for row in rows]


async def revoke_api_key(conn: asyncpg.Connection, key_id: UUID) -> bool:
    """Revoke a live key at once; False when there is no such key or it was revoked before."""
    revoked = await conn.fetchval(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id",
        key_id,
    )
    return revoked is not None


async def find_principal(conn: asyncpg.Connection | asyncpg.Pool, key: str) -> Principal | None:
    row = await conn.fetchrow(
        "SELECT m.organization_id, m.id AS member_id, m.name, k.scopes, k.id AS key_id"
        " FROM api_keys k JOIN members m ON m.id = k.member_id"
        " WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
        _hash(key),
    )
    if row is None:
        return None
    return Principal(
        organization_id=row["organization_id"],
        member=Actor(id=row["member_id"], name=row["name"]),
        scopes=frozenset(row["scopes"]),
        key_id=row["key_id"],
    )
