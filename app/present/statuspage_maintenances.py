"""Scheduled maintenances in Atlassian Statuspage's public API shape (api/v2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.domain.maintenance_page import MaintenanceEntry, PublicMaintenance
from app.domain.public_page import PublicPage
from app.present.statuspage import row_body
from app.present.times import iso_ms


def entry_body(entry: MaintenanceEntry) -> str:
    return row_body(redacted=entry.redacted, kind=entry.kind, status=entry.status, body=entry.body)


def maintenances_json(
    view: PublicPage,
    maintenances: Iterable[PublicMaintenance],
    url: str,
    components: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """`components` are the page's components as components_json shaped them."""
    by_id = {component["id"]: component for component in components}
    return [_maintenance(view, item, url, by_id) for item in maintenances]


def _maintenance(
    view: PublicPage,
    item: PublicMaintenance,
    url: str,
    components: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    maintenance = item.maintenance
    updates = [
        {
            "id": str(entry.id),
            "status": entry.status,
            "body": entry_body(entry),
            "incident_id": str(maintenance.id),
            "created_at": iso_ms(entry.at),
            "updated_at": iso_ms(entry.at),
            "display_at": iso_ms(entry.at),
            "affected_components": [
                {
                    "code": str(cid),
                    "name": components[str(cid)]["name"],
                    "old_status": None,
                    "new_status": "under_maintenance",
                }
                for cid in item.component_ids
                if str(cid) in components
            ]
            or None,
            "deliver_notifications": entry.notify_subscribers,
        }
        for entry in reversed(item.entries)  # Statuspage lists the newest update first
    ]
    return {
        "id": str(maintenance.id),
        "name": maintenance.title,
        "status": maintenance.status,
        "created_at": iso_ms(maintenance.created_at),
        "updated_at": iso_ms(maintenance.updated_at),
        "monitoring_at": None,
        "resolved_at": None
        if maintenance.completed_at is None
        else iso_ms(maintenance.completed_at),
        "impact": "maintenance",
        "shortlink": f"{url}#maintenance-{maintenance.id}",
        "started_at": iso_ms(maintenance.started_at or maintenance.scheduled_for),
        "page_id": str(view.page.id),
        "incident_updates": updates,
        "components": [
            components[str(cid)] for cid in item.component_ids if str(cid) in components
        ],
        "scheduled_for": iso_ms(maintenance.scheduled_for),
        "scheduled_until": iso_ms(maintenance.scheduled_until),
    }
