"""Component changes: found by the dispatcher in the public spans, owed to who asked for them.

A change is recorded once per component and moment (its key), with one delivery per subscriber
that hears component changes, through a published page that shows the component, and whose
component filter (if any) names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from app.domain.component_changes import (
    ComponentChange,
    component_change_key,
    status_changes,
)
from app.domain.events import ComponentStatusesChanged, IncidentEdited
from app.domain.timeline import ComponentInterval
from app.ids import new_id
from app.store.codec import decode_event
from app.store.deliveries import NOTHING, QUEUED, Written, next_chunk, written
from app.store.dispatch_log import LoggedEvent

# Every public span of the components whose spans of this incident start or end at $2, that
# is open just before or just after $2; changes are told in component order.
_AROUND = (
    "SELECT c.component_id, c.status, c.started_at, c.ended_at FROM component_intervals c"
    " JOIN incidents i ON i.id = c.incident_id"
    " WHERE i.organization_id = $3 AND i.published_at IS NOT NULL"
    " AND c.component_id IN (SELECT component_id FROM component_intervals"
    "     WHERE incident_id = $1 AND (started_at = $2 OR ended_at = $2))"
    " AND c.started_at <= $2 AND (c.ended_at IS NULL OR c.ended_at >= $2)"
    " ORDER BY c.component_id, c.started_at"
)

# Each subscriber that hears of one or more of the changes an event recorded, with those
# changes in component order; each page's read from $4 on, $5 at most (see next_chunk).
_LISTENERS = (
    "SELECT s.id, s.status_page_id, s.change_ids FROM status_pages p CROSS JOIN LATERAL"
    " (SELECT s.id, s.status_page_id, array_agg(c.id ORDER BY c.component_id) AS change_ids"
    "     FROM subscribers s JOIN component_changes c ON c.event_position = $2"
    "     AND c.component_id = ANY(p.component_ids)"
    "     AND (s.component_ids = '{}' OR c.component_id = ANY(s.component_ids))"
    "     WHERE s.status_page_id = p.id AND s.id > $4 AND s.removed_at IS NULL"
    "     AND s.confirmed_at <= $3 AND s.notify_component_changes"
    "     GROUP BY s.id, s.status_page_id ORDER BY s.id LIMIT $5) s"
    " WHERE p.organization_id = $1 AND p.published"
)


MOVES_SPANS = frozenset({ComponentStatusesChanged.__name__, IncidentEdited.__name__})


async def record_changes_of(
    conn: asyncpg.Connection, logged: LoggedEvent, after: UUID | None, max_attempts: int
) -> Written:
    """The public status changes `logged` made, recorded and owed to their listeners (the
    next chunk of them past `after`).

    Only component statuses (public ones, and resolving) and an edit that drops components move
    public spans. An update posted with notifySubscribers false tells nobody, of its component
    changes neither.
    """
    event = decode_event(logged.data)
    match event:
        case ComponentStatusesChanged():
            notify = await conn.fetchval(
                "SELECT notify_subscribers FROM incident_updates WHERE id = $1", event.update_id
            )
            if not notify:
                return NOTHING
        case IncidentEdited(component_ids=tuple()):
            pass
        case _:
            return NOTHING
    organization_id = await conn.fetchval(
        "SELECT organization_id FROM incidents WHERE id = $1", logged.stream_id
    )
    if organization_id is None:
        return NOTHING
    if after is None:  # the first chunk records the changes; the next ones find them recorded
        await record_component_changes(
            conn,
            event_position=logged.position,
            organization_id=organization_id,
            incident_id=logged.stream_id,
            at=event.at,
        )
    listeners = await next_chunk(
        conn, _LISTENERS, organization_id, logged.position, logged.recorded_at, after=after
    )
    rows = []
    if listeners:
        owed = [(row, change_id) for row in listeners for change_id in row["change_ids"]]
        rows = await conn.fetch(
            "INSERT INTO deliveries (id, idempotency_key, organization_id, status_page_id,"
            " subscriber_id, kind, event_position, incident_id, component_change_id,"
            " max_attempts, enqueued_at)"
            " SELECT u.id, u.key, $1, u.page_id, u.subscriber_id, 'component_update', $2, $3,"
            " u.change_id, $4, now() FROM unnest($5::uuid[], $6::text[], $7::uuid[],"
            " $8::uuid[], $9::uuid[]) AS u(id, key, page_id, subscriber_id, change_id)"
            " ON CONFLICT (idempotency_key) DO NOTHING" + QUEUED,
            organization_id,
            logged.position,
            logged.stream_id,
            max_attempts,
            # Ids in this order: a subscriber hears of the changes in component order.
            [new_id() for _ in owed],
            [component_change_key(change_id, row["id"]) for row, change_id in owed],
            [row["status_page_id"] for row, _ in owed],
            [row["id"] for row, _ in owed],
            [change_id for _, change_id in owed],
        )
    return written(listeners, rows)


async def record_component_changes(
    conn: asyncpg.Connection,
    *,
    event_position: int,
    organization_id: UUID,
    incident_id: UUID,
    at: datetime,
) -> None:
    """Record the public status changes an event of `incident_id` at `at` made, each under
    the event's position; a second call for the same event adds nothing."""
    spans = [
        ComponentInterval(**dict(row))
        for row in await conn.fetch(_AROUND, incident_id, at, organization_id)
    ]
    changes = status_changes(spans, at)
    await conn.executemany(
        "INSERT INTO component_changes (id, organization_id, component_id, old_status,"
        " new_status, changed_at, event_position) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (component_id, changed_at) DO NOTHING",
        [
            (new_id(), organization_id, component_id, old, new, at, event_position)
            for component_id, old, new in changes
        ],
    )


async def changes_of_deliveries(
    conn: asyncpg.Connection, delivery_ids: Sequence[UUID]
) -> dict[UUID, ComponentChange]:
    """The change each of these component_update deliveries tells, by delivery id."""
    rows = await conn.fetch(
        "SELECT d.id AS delivery_id, c.id, c.component_id, c.old_status, c.new_status,"
        " c.changed_at FROM deliveries d JOIN component_changes c ON c.id = d.component_change_id"
        " WHERE d.id = ANY($1::uuid[])",
        list(delivery_ids),
    )
    return {
        row["delivery_id"]: ComponentChange(
            **{key: value for key, value in row.items() if key != "delivery_id"}
        )
        for row in rows
    }
