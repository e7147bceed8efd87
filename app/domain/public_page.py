"""What a published status page shows: values the store reads and app/present renders."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.catalog import StatusPage
from app.domain.maintenance_page import PublicMaintenance
from app.domain.page_status import PageStatus, ShownState
from app.domain.timeline import TimelineEntry
from app.domain.values import IncidentStatus, Severity


class PublicComponent(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    description: str | None
    position: int  # 1-based, in the page's order
    status: ShownState
    created_at: datetime


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

    @property
    def updated_at(self) -> datetime:
        return self.entries[-1].entry.at if self.entries else self.published_at


class PublicPage(msgspec.Struct, frozen=True, kw_only=True):
    page: StatusPage
    status: PageStatus
    components: tuple[PublicComponent, ...]
    # Not cancelled, and not completed before the uptime bars' first day; by window, soonest first.
    maintenances: tuple[PublicMaintenance, ...] = ()

    @property
    def upcoming(self) -> list[PublicMaintenance]:
        return [m for m in self.maintenances if m.maintenance.status == "scheduled"]

    @property
    def in_progress(self) -> list[PublicMaintenance]:
        return [m for m in self.maintenances if m.in_progress]
