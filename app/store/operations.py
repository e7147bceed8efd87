"""Figures an operator watches: how far behind the dispatcher is, what deliveries are owed."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import msgspec

from app.store.dispatch_log import CHECKPOINT


class DispatcherLag(msgspec.Struct, frozen=True):
    events: int  # in the log, not yet read by the dispatcher
    seconds: float  # since the oldest of them was recorded; 0 when there is none


async def dispatcher_lag(conn: asyncpg.Connection | asyncpg.Pool) -> DispatcherLag:
    row = await conn.fetchrow(
        "SELECT count(*) AS events, min(e.recorded_at) AS oldest"
        " FROM events e, dispatcher_checkpoints c"
        " WHERE c.name = $1 AND (e.transaction_id, e.position) > (c.transaction_id, c.position)",
        CHECKPOINT,
    )
    oldest = row["oldest"]
    seconds = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
    return DispatcherLag(events=row["events"], seconds=max(0.0, seconds))


async def deliveries_by_status(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
    return {row["status"]: row["n"] for row in rows}
