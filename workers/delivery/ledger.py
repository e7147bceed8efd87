"""What every job of a worker process asks PostgreSQL while its messages are on the way, asked
together: outcomes to record, and whether an update about to be sent is still unredacted.

Per message, each would be a statement; a fan-out of thousands would spend more on them than on
its sends. Together (see together.py) each is one statement per round for the whole process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from app.store.deliveries import wake_worker
from app.store.delivery_jobs import Settled, settle, unredacted
from workers.delivery.together import Together

# Outcomes wait this long for others to be recorded with: a fan-out settles dozens per
# statement instead of one, and no one notices 5 ms more before a settled row shows.
SETTLE_LINGER = 0.005


async def _record(conn: asyncpg.Connection, asked: Sequence[tuple[Settled, bool]]) -> list:
    released = await settle(conn, [outcome for outcome, _ in asked])
    by_blocker: dict[UUID, list[UUID]] = defaultdict(list)
    for row_id, blocker in released:
        by_blocker[blocker].append(row_id)
    taken_over = {outcome.id for outcome, take_over in asked if take_over}
    # Rows due again, and released rows no job sends itself, are the queue's: tell it now.
    if any(outcome.status == "pending" for outcome, _ in asked) or any(
        blocker not in taken_over for blocker in by_blocker
    ):
        await wake_worker(conn)
    return [by_blocker.get(outcome.id, []) for outcome, _ in asked]


async def _redacted(
    conn: asyncpg.Connection, asked: Sequence[tuple[UUID, ...]]
) -> list[frozenset[UUID]]:
    present = await unredacted(conn, {update_id for ids in asked for update_id in ids})
    return [frozenset(ids).difference(present) for ids in asked]


class Ledger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._outcomes: Together[tuple[Settled, bool], list[UUID]] = Together(
            pool, _record, linger=SETTLE_LINGER, at_most=500
        )
        self._bodies: Together[tuple[UUID, ...], frozenset[UUID]] = Together(pool, _redacted)

    async def record(self, outcome: Settled, *, take_over: bool) -> list[UUID]:
        """Record one outcome; returns the rows that waited for it and may go now. With
        `take_over` the caller sends them itself; without, the queue does."""
        return await self._outcomes.ask((outcome, take_over))

    async def redacted(self, update_ids: tuple[UUID, ...]) -> frozenset[UUID]:
        """Those of the updates redacted as of a moment after this call (see
        delivery_jobs.unredacted): a message stamped before asking, and sent only if none
        of the updates it shows is, was built before any redaction of them committed."""
        return await self._bodies.ask(update_ids)
