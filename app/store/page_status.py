"""The live status of a status page's components and of the page itself, from projections."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from app.domain.page_status import (
    DESCRIPTIONS,
    PageStatus,
    page_indicator,
    worst_component_state,
)
from app.domain.values import ComponentState, Severity
from app.store.codec import decode_component_statuses


async def page_status(
    conn: asyncpg.Connection | asyncpg.Pool,
    organization_id: UUID,
    component_ids: tuple[UUID, ...],
) -> PageStatus:
    """Open public incidents that touch any of `component_ids` decide the page's status.

    An incident with no public update yet stays off the page and does not colour it either;
    a component shows what public updates said of it, never what an internal one did.
    """
    rows = await conn.fetch(
        "SELECT severity, public_component_statuses::text AS component_statuses FROM incidents"
        " WHERE organization_id = $1 AND status <> 'resolved' AND published_at IS NOT NULL"
        " AND component_ids && $2::uuid[]",
        organization_id,
        list(component_ids),
    )
    states: dict[UUID, list[ComponentState]] = {cid: [] for cid in component_ids}
    severities: list[Severity] = []
    for row in rows:
        severities.append(row["severity"])
        for item in decode_component_statuses(row["component_statuses"]):
            if item.component_id in states:
                states[item.component_id].append(item.status)
    components = tuple((cid, worst_component_state(states[cid])) for cid in component_ids)
    indicator = page_indicator((state for _, state in components), severities)
    return PageStatus(
        indicator=indicator, description=DESCRIPTIONS[indicator], components=components
    )
