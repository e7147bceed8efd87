"""What the public may see of an incident, as pure functions of its events.

A public update shows with its body; an internal update that changed the status shows as a bare
transition row; any other internal update does not show at all. A redacted update keeps its row.
Component statuses reach the public only through public updates and through resolving: an
internal update's componentStatuses change the incident as its team sees it, never the page.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from functools import reduce
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
from app.domain.page_status import ShownState
from app.domain.values import ComponentStatus, IncidentStatus


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
    """A span during which an incident gave a component a non-operational status, or a
    maintenance kept it under maintenance."""

    component_id: UUID
    status: ShownState
    started_at: datetime
    ended_at: datetime | None  # None while it lasts


class PublicView(msgspec.Struct, frozen=True, kw_only=True):
    """What the public sees of an incident, advanced one event at a time by `advance`.

    `timeline` and `closed` hold what the events since `trimmed` added, so a snapshot keeps
    only what later events need (`trimmed` drops the rest) and a command's tail yields just
    its own rows. Nothing kept after trimming grows with the incident's history.
    """

    status: IncidentStatus = "investigating"
    published_at: datetime | None = None
    # The latest update, when the public sees its component statuses (see
    # sets_public_components): its ComponentStatusesChanged follows it in the same command.
    public_status_update: UUID | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    open_spans: tuple[ComponentInterval, ...] = ()  # in the order they opened
    closed: tuple[ComponentInterval, ...] = ()  # in the order they closed

    def trimmed(self) -> PublicView:
        return msgspec.structs.replace(self, timeline=(), closed=())

    def intervals(self) -> list[ComponentInterval]:
        return sorted(
            [*self.closed, *self.open_spans],
            key=lambda span: (span.started_at, str(span.component_id)),
        )


def _close(view: PublicView, ending: Container[int], at: datetime) -> PublicView:
    """`view` with the open spans of the components whose UUID ints are in `ending` closed."""
    # Plain loops over UUID ints: every public status change of every fold comes here, and a
    # UUID's own hash and equality run Python code.
    kept: list[ComponentInterval] = []
    closed: list[ComponentInterval] = []
    for span in view.open_spans:
        if span.component_id.int in ending:
            closed.append(msgspec.structs.replace(span, ended_at=at))
        else:
            kept.append(span)
    if not closed:
        return view
    return msgspec.structs.replace(view, open_spans=tuple(kept), closed=(*view.closed, *closed))


def advance(view: PublicView, event: Event, *, timeline: bool = True) -> PublicView:
    """`view` with `event` applied: the one place the public's view of an incident is decided.

    With `timeline` false the timeline is left as it was, for a caller that reads the rest
    of the view only (the projection writes update rows of its own): it spares a copy of
    the timeline per update.
    """
    match event:
        case UpdatePosted():
            public = event.visibility == "public"
            entries = view.timeline
            if timeline and (public or event.status_change):
                entry = TimelineEntry(
                    update_id=event.update_id,
                    kind="update" if public else "transition",
                    status=event.status_change or view.status,
                    at=event.at,
                    component_statuses=event.component_statuses if public else (),
                    notify_subscribers=event.notify_subscribers and public,
                )
                entries = (*entries, entry)
            published_at = view.published_at
            if public and published_at is None:
                published_at = event.at
            return msgspec.structs.replace(
                view,
                timeline=entries,
                published_at=published_at,
                public_status_update=event.update_id if sets_public_components(event) else None,
            )
        case StatusChanged():
            return msgspec.structs.replace(view, status=event.to_status)
        case UpdateRedacted():
            ids = [entry.update_id for entry in view.timeline]
            if event.update_id not in ids:
                return view  # an entry trimmed before, or none: its row is marked by the store
            index = ids.index(event.update_id)
            entry = msgspec.structs.replace(view.timeline[index], redacted=True)
            entries = (*view.timeline[:index], entry, *view.timeline[index + 1 :])
            return msgspec.structs.replace(view, timeline=entries)
        case ComponentStatusesChanged() if event.update_id == view.public_status_update:
            for cs in event.component_statuses:
                view = _close(view, (cs.component_id.int,), event.at)
                if cs.status != "operational":
                    span = ComponentInterval(
                        component_id=cs.component_id,
                        status=cs.status,
                        started_at=event.at,
                        ended_at=None,
                    )
                    view = msgspec.structs.replace(view, open_spans=(*view.open_spans, span))
            return view
        case IncidentEdited(component_ids=tuple() as component_ids):
            # An edit that drops a component ends what the incident said about it.
            kept = {cid.int for cid in component_ids}
            dropped = {s.component_id.int for s in view.open_spans} - kept
            return _close(view, dropped, event.at)
    return view


def public_view(events: Iterable[Event], view: PublicView | None = None) -> PublicView:
    """`view` (by default that of no events) advanced by `events` in order."""
    return reduce(advance, events, view or PublicView())


def sets_public_components(posted: UpdatePosted) -> bool:
    """Whether the component statuses recorded with `posted` are what the public sees.

    Subscribers are told only of public updates, so only those may change what a page shows;
    resolving returns every component to operational, which everyone may see whoever posted it.
    """
    return posted.visibility == "public" or posted.status_change == "resolved"


def public_timeline(events: Sequence[Event]) -> list[TimelineEntry]:
    return list(public_view(events).timeline)


def first_public_update_at(events: Iterable[Event]) -> datetime | None:
    """When the incident first went public; before that the public sees nothing of it."""
    return public_view(events).published_at


def component_intervals(events: Iterable[Event]) -> list[ComponentInterval]:
    """Public spans of non-operational status per component, closed by a later public status,
    by resolving or by removal. Statuses set by internal updates open and close nothing."""
    return public_view(events).intervals()
