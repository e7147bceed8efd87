"""An incident's audit trail, straight from the log: what happened, when, by whom, in which request.

Events never hold update bodies, so nothing redacted can show here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from app.domain.values import Actor


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    type: str
    recorded_at: datetime
    actor: Actor | None
    request_id: str | None
    data: dict[str, Any]


async def audit_trail(
    conn: asyncpg.Pool | asyncpg.Connection,
    incident_id: UUID,
    after_version: int | None,
    limit: int,
) -> list[AuditEntry]:
    rows = await conn.fetch(
        "SELECT e.version, e.type, e.recorded_at, e.data::text AS data,"
        " e.metadata->>'request_id' AS request_id, m.id AS actor_id, m.name AS actor_name"
        " FROM events e LEFT JOIN members m ON m.id = (e.metadata->>'actor_id')::uuid"
        " WHERE e.stream_id = $1 AND e.version > coalesce($2, 0) ORDER BY e.version LIMIT $3",
        incident_id,
        after_version,
        limit,
    )
    return [
        AuditEntry(
            version=row["version"],
            type=row["type"],
            recorded_at=row["recorded_at"],
            actor=None
            if row["actor_id"] is None
            else Actor(id=row["actor_id"], name=row["actor_name"]),
            request_id=row["request_id"],
            data=msgspec.json.decode(row["data"]),
        )
        for row in rows
    ]
