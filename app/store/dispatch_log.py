"""The dispatcher's view of the log: settled events in commit-safe order, and its checkpoint.

Positions are handed out when a transaction inserts, not when it commits, so a reader that
follows positions alone skips an event whose transaction commits after a later position was
read. Each event records its transaction id; the reader takes only events of transactions older
than every transaction still running (below pg_snapshot_xmin), which are all settled, and orders
and checkpoints by (transaction id, position): nothing can appear behind the checkpoint later.

Transaction ids are shared by the whole cluster, so a transaction left open in another database
would hold that horizon back for nothing: it cannot write to this events table. The horizon is
the oldest running transaction not shown running in another database (pg_stat_activity, read
in the same statement as the snapshot), or the snapshot's xmax when there is none. A transaction
that ended between the snapshot and that read is not shown anywhere, so it still counts.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

EVENTS_CHANNEL = "herald_events"  # NOTIFYed by a trigger on events, see schema.sql
CHECKPOINT = "notifications"
# One dispatcher at a time across every worker; any constant shared by all of them will do.
DISPATCH_LOCK_KEY = 0x6865_7261_6C64_01


class Checkpoint(msgspec.Struct, frozen=True):
    transaction_id: str  # xid8 as text: asyncpg has no codec for it
    position: int
    # The next event's rows are written up to this subscriber (in id order), the rest still
    # owed. That event is the first one read_settled returns past this checkpoint: whatever
    # sorts between them belongs to a transaction that had ended when it was first read.
    fanned_out_to: UUID | None = None


class LoggedEvent(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    transaction_id: str
    stream_id: UUID
    type: str
    data: str
    recorded_at: datetime

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.transaction_id, self.position)


async def try_lock_dispatch(conn: asyncpg.Connection) -> bool:
    """Take the dispatcher's lock until the caller's transaction ends, unless another has it."""
    return await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", DISPATCH_LOCK_KEY)


async def load_checkpoint(conn: asyncpg.Connection) -> Checkpoint:
    row = await conn.fetchrow(
        "SELECT transaction_id::text AS transaction_id, position, fanned_out_to"
        " FROM dispatcher_checkpoints WHERE name = $1",
        CHECKPOINT,
    )
    return Checkpoint(**dict(row))


async def save_checkpoint(conn: asyncpg.Connection, checkpoint: Checkpoint) -> None:
    await conn.execute(
        "UPDATE dispatcher_checkpoints SET transaction_id = $2::text::xid8, position = $3,"
        " fanned_out_to = $4 WHERE name = $1",
        CHECKPOINT,
        checkpoint.transaction_id,
        checkpoint.position,
        checkpoint.fanned_out_to,
    )


async def read_settled(
    conn: asyncpg.Connection, after: Checkpoint, limit: int
) -> list[LoggedEvent]:
    """Up to `limit` events past `after` whose transactions can no longer change anything.

    Run it before the transaction writes anything: once it holds a transaction id of its own,
    the horizon stops at that id until it ends.
    """
    rows = await conn.fetch(
        "WITH snapshot AS (SELECT pg_current_snapshot() AS s),"
        " elsewhere AS (SELECT backend_xid FROM pg_stat_activity"
        "     WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL),"
        " horizon AS (SELECT least(pg_snapshot_xmax(s), (SELECT min(x) FROM pg_snapshot_xip(s) x"
        "     WHERE xid(x) NOT IN (SELECT backend_xid FROM elsewhere))) AS h FROM snapshot)"
        " SELECT position, transaction_id::text AS transaction_id, stream_id, type,"
        " data::text AS data, recorded_at FROM events"
        " WHERE (transaction_id, position) > ($1::text::xid8, $2)"
        " AND transaction_id < (SELECT h FROM horizon)"
        " ORDER BY transaction_id, position LIMIT $3",
        after.transaction_id,
        after.position,
        limit,
    )
    return [LoggedEvent(**dict(row)) for row in rows]
