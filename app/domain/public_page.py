"""What a published status page shows: values the store reads and app/present renders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.catalog import ComponentGroup, StatusPage
from app.domain.maintenance_page import PublicMaintenance
from app.domain.page_status import PageStatus, ShownState
from app.domain.timeline import TimelineEntry
from app.domain.values import IncidentStatus, Severity


class PublicComponent(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    description: str | None
    position: int  # 1-based, in the order the page lists components and groups (positions)
    status: ShownState
    created_at: datetime


class PublicGroup(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    position: int
    status: ShownState  # the worst of its members'
    components: tuple[PublicComponent, ...]


class PublicEntry(msgspec.Struct, frozen=True, kw_only=True):
    entry: TimelineEntry
    body: str | None  # None for a transition row or a redacted update


class PublicIncident(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    opened_at: datetime
    published_at: datetime
    resolved_at: datetime | None
    component_ids: tuple[UUID, ...]  # those shown on this page
    entries: tuple[PublicEntry, ...]  # oldest first
    edited_at: datetime | None = None  # the title, severity and components are public too

    @property
    def updated_at(self) -> datetime:
        shown = self.entries[-1].entry.at if self.entries else self.published_at
        return max(shown, self.edited_at or shown)


class PublicPage(msgspec.Struct, frozen=True, kw_only=True):
    page: StatusPage
    status: PageStatus
    components: tuple[PublicComponent, ...]
    groups: tuple[PublicGroup, ...] = ()
    # Not cancelled, and not completed before the uptime bars' first day; by window, soonest first.
    maintenances: tuple[PublicMaintenance, ...] = ()

    def rows(self) -> list[PublicComponent | PublicGroup]:
        """What the page lists, in its order: a component on its own, or a group where its
        first member would be."""
        group_of = {c.id: group for group in self.groups for c in group.components}
        rows: list[PublicComponent | PublicGroup] = []
        for component in self.components:
            group = group_of.get(component.id)
            if group is None:
                rows.append(component)
            elif group.components[0].id == component.id:
                rows.append(group)
        return rows

    @property
    def upcoming(self) -> list[PublicMaintenance]:
        return [m for m in self.maintenances if m.maintenance.status == "scheduled"]

    @property
    def in_progress(self) -> list[PublicMaintenance]:
        return [m for m in self.maintenances if m.in_progress]


def positions(component_ids: Iterable[UUID], groups: Iterable[ComponentGroup]) -> dict[UUID, int]:
    """The 1-based place of each component and group in the page's list: a group where its
    first member would be, followed by its members."""
    groups = list(groups)
    group_of = {member: group for group in groups for member in group.component_ids}
    order: list[UUID] = []
    for component_id in component_ids:
        group = group_of.get(component_id)
        if group is None:
            order.append(component_id)
        elif group.component_ids[0] == component_id:
            order += [group.id, *group.component_ids]
    return {item: place for place, item in enumerate(order, start=1)}
