"""Update bodies: primary data beside the log, erased for good by a redaction."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def save_body(
    conn: asyncpg.Connection, incident_id: UUID, update_id: UUID, body: str
) -> None:
    await conn.execute(
        "INSERT INTO update_bodies (update_id, incident_id, body) VALUES ($1, $2, $3)",
        update_id,
        incident_id,
        body,
    )


async def erase_body(conn: asyncpg.Connection, update_id: UUID) -> None:
    await conn.execute("DELETE FROM update_bodies WHERE update_id = $1", update_id)
