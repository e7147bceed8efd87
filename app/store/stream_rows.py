"""The rows a whole stream of the log projects to, an incident's or a maintenance's: what a
rebuild writes, from the same functions the live writers use."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from app.domain import incident, maintenance
from app.domain.maintenance_events import MaintenanceScheduled
from app.store.codec import StoredEvent
from app.store.maintenances import MaintenanceRow, copy_maintenances, maintenance_row
from app.store.projections import Rows, copy_projected, rows_for


def project_stream(events: Sequence[StoredEvent], version: int) -> Rows | MaintenanceRow:
    """The rows of a stream's `events`, the last of them at `version`."""
    if isinstance(events[0], MaintenanceScheduled):
        state = maintenance.fold(events)  # type: ignore[arg-type]
        assert state is not None
        return maintenance_row(state, version)
    folded = incident.fold(events)  # type: ignore[arg-type]
    assert folded is not None
    return rows_for(folded, version, events, events)  # type: ignore[arg-type]


async def copy_streams(
    conn: asyncpg.Connection, projected: Sequence[Rows | MaintenanceRow]
) -> None:
    """Write whole streams into tables that hold none of them yet, by COPY."""
    await copy_projected(conn, [item for item in projected if isinstance(item, Rows)])
    await copy_maintenances(conn, [item for item in projected if isinstance(item, MaintenanceRow)])
