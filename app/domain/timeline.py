"""What the public may see of an incident, as pure functions of its events.

A public update shows with its body; an internal update that changed the status shows as a bare
transition row; any other internal update does not show at all. A redacted update keeps its row.
Component statuses reach the public only through public updates and through resolving: an
internal update's componentStatuses change the incident as its team sees it, never the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from app.domain.events import (
    ComponentStatusesChanged,
    Event,
    IncidentEdited,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.values import ComponentState, ComponentStatus, IncidentStatus


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    update_id: UUID
    # "update" carries a body (unless redacted); "transition" is a bare status change.
    kind: Literal["update", "transition"]
    status: IncidentStatus  # the incident's status once this update was posted
    at: datetime
    component_statuses: tuple[ComponentStatus, ...] = ()
    notify_subscribers: bool = False
    redacted: bool = False


class ComponentInterval(msgspec.Struct, frozen=True, kw_only=True):
    """A span during which an incident gave a component a non-operational status."""

    component_id: UUID
    status: ComponentState
    started_at: datetime
    ended_at: datetime | None  # None while it lasts


def sets_public_components(posted: UpdatePosted) -> bool:
    """Whether the component statuses recorded with `posted` are what the public sees.

    Subscribers are told only of public updates, so only those may change what a page shows;
    resolving returns every component to operational, which everyone may see whoever posted it.
    """
    return posted.visibility == "public" or posted.status_change == "resolved"


def status_after_updates(events: Iterable[Event]) -> dict[UUID, IncidentStatus]:
    """The incident's status once each update was posted."""
    after: dict[UUID, IncidentStatus] = {}
    status: IncidentStatus = "investigating"
    for event in events:
        match event:
            case UpdatePosted():
                after[event.update_id] = event.status_change or status
            case StatusChanged():
                status = event.to_status
    return after


def public_timeline(events: Sequence[Event]) -> list[TimelineEntry]:
    status_after = status_after_updates(events)
    entries: dict[UUID, TimelineEntry] = {}
    for event in events:
        match event:
            case UpdatePosted() if event.visibility == "public" or event.status_change:
                entries[event.update_id] = TimelineEntry(
                    update_id=event.update_id,
                    kind="update" if event.visibility == "public" else "transition",
                    status=status_after[event.update_id],
                    at=event.at,
                    component_statuses=event.component_statuses
                    if event.visibility == "public"
                    else (),
                    notify_subscribers=event.notify_subscribers and event.visibility == "public",
                )
            case UpdateRedacted() if event.update_id in entries:
                entries[event.update_id] = msgspec.structs.replace(
                    entries[event.update_id], redacted=True
                )
    return list(entries.values())


def first_public_update_at(events: Iterable[Event]) -> datetime | None:
    """When the incident first went public; before that the public sees nothing of it."""
    for event in events:
        if isinstance(event, UpdatePosted) and event.visibility == "public":
            return event.at
    return None


def component_intervals(events: Iterable[Event]) -> list[ComponentInterval]:
    """Public spans of non-operational status per component, closed by a later public status,
    by resolving or by removal. Statuses set by internal updates open and close nothing."""
    public_updates: set[UUID] = set()
    closed: list[ComponentInterval] = []
    open_spans: dict[UUID, ComponentInterval] = {}

    def close(component_id: UUID, at: datetime) -> None:
        span = open_spans.pop(component_id, None)
        if span is not None:
            closed.append(msgspec.structs.replace(span, ended_at=at))

    for event in events:
        match event:
            case UpdatePosted() if sets_public_components(event):
                public_updates.add(event.update_id)
            case ComponentStatusesChanged() if event.update_id in public_updates:
                for cs in event.component_statuses:
                    close(cs.component_id, event.at)
                    if cs.status != "operational":
                        open_spans[cs.component_id] = ComponentInterval(
                            component_id=cs.component_id,
                            status=cs.status,
                            started_at=event.at,
                            ended_at=None,
                        )
            case IncidentEdited(component_ids=tuple() as component_ids):
                # An edit that drops a component ends what the incident said about it.
                for component_id in list(open_spans):
                    if component_id not in component_ids:
                        close(component_id, event.at)
    return sorted(
        [*closed, *open_spans.values()], key=lambda span: (span.started_at, str(span.component_id))
    )
