"""What the public sees of scheduled maintenances, as pure functions of their state.

A maintenance is public from the moment it is scheduled (its title, window, components and
description), unless cancelled: a cancelled one leaves the page. Its timeline opens with the
announcement; public updates show with their body, an internal update that moved the status
shows as a bare status row, and a start or completion without an update (the clock's, or a
member's) shows with the words Statuspage uses for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from app.domain.maintenance import Maintenance
from app.domain.maintenance_events import MaintenanceStatus
from app.domain.page_status import DESCRIPTIONS, PageStatus
from app.domain.timeline import ComponentInterval

AUTOMATIC_TEXT: dict[MaintenanceStatus, str] = {
    "in_progress": "Scheduled maintenance is currently in progress. We will provide updates as"
    " necessary.",
    "verifying": "Verification is currently underway for the maintenance items.",
    "completed": "The scheduled maintenance has been completed.",
}
IN_PROGRESS = ("in_progress", "verifying")


class MaintenanceEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID  # the update's, or the maintenance's for the announcement and automatic rows
    # "update" carries a body (unless redacted); "transition" is a bare status change.
    kind: Literal["update", "transition"]
    status: MaintenanceStatus
    at: datetime
    body: str | None = None
    redacted: bool = False
    notify_subscribers: bool = True


class PublicMaintenance(msgspec.Struct, frozen=True, kw_only=True):
    maintenance: Maintenance
    component_ids: tuple[UUID, ...]  # those shown on the page
    entries: tuple[MaintenanceEntry, ...]  # oldest first

    @property
    def in_progress(self) -> bool:
        return self.maintenance.status in IN_PROGRESS


def public_update_ids(maintenance: Maintenance) -> list[UUID]:
    """The updates whose bodies the public may read."""
    return [u.id for u in maintenance.updates if u.visibility == "public" and u.redacted_at is None]


def public_entries(
    maintenance: Maintenance, bodies: Mapping[UUID, str]
) -> tuple[MaintenanceEntry, ...]:
    """The maintenance's public timeline, oldest first; `bodies` holds its public updates'."""
    entries = [
        MaintenanceEntry(
            id=maintenance.id,
            kind="update",
            status="scheduled",
            at=maintenance.created_at,
            body=maintenance.description,
        )
    ]
    for update in maintenance.updates:
        if update.visibility == "public":
            entries.append(
                MaintenanceEntry(
                    id=update.id,
                    kind="update",
                    status=update.status,
                    at=update.posted_at,
                    body=bodies.get(update.id),
                    redacted=update.redacted_at is not None,
                    notify_subscribers=update.notify_subscribers,
                )
            )
        elif update.status_change is not None:
            entries.append(
                MaintenanceEntry(
                    id=update.id, kind="transition", status=update.status, at=update.posted_at
                )
            )
    for transition in maintenance.transitions:
        if transition.update_id is None and transition.status in AUTOMATIC_TEXT:
            entries.append(
                MaintenanceEntry(
                    id=maintenance.id,
                    kind="update",
                    status=transition.status,
                    at=transition.at,
                    body=AUTOMATIC_TEXT[transition.status],
                )
            )
    return tuple(sorted(entries, key=lambda entry: entry.at))


def public_maintenance(
    maintenance: Maintenance, page_component_ids: Iterable[UUID], bodies: Mapping[UUID, str]
) -> PublicMaintenance:
    shown = set(page_component_ids)
    return PublicMaintenance(
        maintenance=maintenance,
        component_ids=tuple(cid for cid in maintenance.component_ids if cid in shown),
        entries=public_entries(maintenance, bodies),
    )


def with_maintenance(status: PageStatus, maintenances: Iterable[PublicMaintenance]) -> PageStatus:
    """Components of a maintenance in progress show under_maintenance unless an open incident
    makes them worse; the page says so when nothing else is wrong."""
    maintained = {cid for m in maintenances if m.in_progress for cid in m.component_ids}
    components = tuple(
        (cid, "under_maintenance" if state == "operational" and cid in maintained else state)
        for cid, state in status.components
    )
    if status.indicator == "none" and any(state == "under_maintenance" for _, state in components):
        return PageStatus(
            indicator="maintenance", description=DESCRIPTIONS["maintenance"], components=components
        )
    return msgspec.structs.replace(status, components=components)


def maintenance_intervals(
    maintenances: Iterable[PublicMaintenance], component_id: UUID
) -> list[ComponentInterval]:
    """The spans a component spent under maintenance: from each start to its completion."""
    return [
        ComponentInterval(
            component_id=component_id,
            status="under_maintenance",
            started_at=m.maintenance.started_at,
            ended_at=m.maintenance.completed_at,
        )
        for m in maintenances
        if m.maintenance.started_at is not None and component_id in m.component_ids
    ]
