"""Incident state, `evolve` (one event applied) and `fold` (a stream applied)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import reduce
from typing import assert_never
from uuid import UUID

import msgspec

from app.domain.events import (
    ComponentStatusesChanged,
    Event,
    IncidentEdited,
    IncidentOpened,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.timeline import sets_public_components
from app.domain.values import ComponentStatus, IncidentStatus, Severity, UpdateStanding


class Incident(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organization_id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    component_ids: tuple[UUID, ...]
    # In the order of component_ids; a component appears once an update gave it a status.
    component_statuses: tuple[ComponentStatus, ...] = ()
    # The same, as the public sees it: set only by public updates and by resolving.
    public_component_statuses: tuple[ComponentStatus, ...] = ()
    owner_schedule_id: UUID | None = None
    update_count: int = 0
    # The latest update, when the public sees its component statuses (see
    # sets_public_components): its ComponentStatusesChanged follows it in the same command.
    # State holds no set that grows with every update, so a snapshot of it stays small.
    public_status_update_id: UUID | None = None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None


State = Incident | None


def initial_state() -> State:
    return None


def merge_component_statuses(
    component_ids: tuple[UUID, ...],
    current: tuple[ComponentStatus, ...],
    changes: tuple[ComponentStatus, ...],
) -> tuple[ComponentStatus, ...]:
    """Later statuses replace earlier ones per component; components no longer affected drop."""
    if not current and not changes:
        return ()
    # On every fold's path: keyed by the UUID's int, whose hash is native where a UUID's runs
    # Python code, in plain loops, where each comprehension would be a call of its own.
    by_component = {}
    for cs in (*current, *changes):
        by_component[cs.component_id.int] = cs
    merged = []
    for cid in component_ids:
        if (cs := by_component.get(cid.int)) is not None:
            merged.append(cs)
    return tuple(merged)


def evolve(state: State, event: Event) -> State:
    if isinstance(event, IncidentOpened):
        return Incident(
            id=event.incident_id,
            organization_id=event.organization_id,
            title=event.title,
            severity=event.severity,
            status="investigating",
            component_ids=event.component_ids,
            owner_schedule_id=event.owner_schedule_id,
            opened_at=event.at,
            updated_at=event.at,
        )
    assert state is not None, "only IncidentOpened may start a stream"
    match event:
        case IncidentEdited():
            component_ids = (
                state.component_ids if event.component_ids is None else event.component_ids
            )
            return msgspec.structs.replace(
                state,
                title=state.title if event.title is None else event.title,
                severity=state.severity if event.severity is None else event.severity,
                component_ids=component_ids,
                component_statuses=merge_component_statuses(
                    component_ids, state.component_statuses, ()
                ),
                public_component_statuses=merge_component_statuses(
                    component_ids, state.public_component_statuses, ()
                ),
                updated_at=event.at,
            )
        case UpdatePosted():
            return msgspec.structs.replace(
                state,
                update_count=state.update_count + 1,
                public_status_update_id=event.update_id if sets_public_components(event) else None,
                updated_at=event.at,
            )
        case StatusChanged():
            return msgspec.structs.replace(
                state,
                status=event.to_status,
                resolved_at=event.at if event.to_status == "resolved" else None,
                updated_at=event.at,
            )
        case ComponentStatusesChanged():
            public = state.public_component_statuses
            if event.update_id == state.public_status_update_id:
                public = merge_component_statuses(
                    state.component_ids, public, event.component_statuses
                )
            return msgspec.structs.replace(
                state,
                component_statuses=merge_component_statuses(
                    state.component_ids, state.component_statuses, event.component_statuses
                ),
                public_component_statuses=public,
                updated_at=event.at,
            )
        case UpdateRedacted():
            return msgspec.structs.replace(state, updated_at=event.at)
        case _:
            assert_never(event)


def fold(events: Iterable[Event]) -> State:
    """The state a stream's events leave behind, applied in order from `initial_state()`."""
    return reduce(evolve, events, initial_state())


def update_standing(events: Iterable[Event], update_id: UUID) -> UpdateStanding:
    """Whether `events` posted the update `update_id`, and whether they redacted it since."""
    standing: UpdateStanding = "absent"
    for event in events:
        match event:
            case UpdatePosted() if event.update_id == update_id:
                standing = "posted"
            case UpdateRedacted() if event.update_id == update_id and standing == "posted":
                standing = "redacted"
    return standing
