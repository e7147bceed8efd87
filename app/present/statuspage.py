"""Atlassian Statuspage's public API shapes (api/v2), so existing widgets can read Herald.

Fields with no meaning here are null or empty rather than invented.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from app.domain.page_status import ShownState
from app.domain.public_page import (
    PublicComponent,
    PublicEntry,
    PublicGroup,
    PublicIncident,
    PublicPage,
)
from app.domain.timeline import ComponentInterval
from app.domain.values import ComponentState
from app.present.labels import REDACTED_NOTICE, STATUS_LABELS
from app.present.times import iso_ms, iso_ms_or_none

# Statuspage has no "full_outage": its worst component status is "major_outage".
COMPONENT_STATUS: dict[ShownState, str] = {
    "operational": "operational",
    "under_maintenance": "under_maintenance",
    "degraded_performance": "degraded_performance",
    "partial_outage": "partial_outage",
    "full_outage": "major_outage",
}


def page_json(view: PublicPage, url: str, changed: datetime) -> dict[str, Any]:
    """`changed` is the last change the page shows (pollers compare `updated_at`)."""
    return {
        "id": str(view.page.id),
        "name": view.page.name,
        "url": url,
        "time_zone": "Etc/UTC",
        "updated_at": iso_ms(max(view.page.updated_at, changed)),
    }


def incident_url(url: str, incident: PublicIncident) -> str:
    """The incident's own page under the status page at `url`: its permanent address."""
    return f"{url}/incidents/{incident.id}"


def status_json(view: PublicPage) -> dict[str, str]:
    return {"indicator": view.status.indicator, "description": view.status.description}


def components_json(
    view: PublicPage, history: dict[Any, list[ComponentInterval]]
) -> list[dict[str, Any]]:
    """The page's components in its order, each group before its members, as Statuspage lists
    them: a group is a component with `group: true` and its members' ids in `components`."""
    listed: list[dict[str, Any]] = []
    for row in view.rows():
        if isinstance(row, PublicGroup):
            members = [_component(view, c, history.get(c.id, []), row.id) for c in row.components]
            listed.append(_group(view, row, members))
            listed += members
        else:
            listed.append(_component(view, row, history.get(row.id, []), None))
    return listed


def _component(
    view: PublicPage,
    component: PublicComponent,
    intervals: list[ComponentInterval],
    group_id: Any,
) -> dict[str, Any]:
    # A component changes when an incident changes its status; otherwise it is as created.
    changes = [component.created_at]
    changes += [span.started_at for span in intervals]
    changes += [span.ended_at for span in intervals if span.ended_at is not None]
    return {
        "id": str(component.id),
        "name": component.name,
        "status": COMPONENT_STATUS[component.status],
        "created_at": iso_ms(component.created_at),
        "updated_at": iso_ms(max(changes)),
        "position": component.position,
        "description": component.description,
        "showcase": True,
        "start_date": None,
        "group_id": None if group_id is None else str(group_id),
        "page_id": str(view.page.id),
        "group": False,
        "only_show_if_degraded": False,
    }


def _group(view: PublicPage, group: PublicGroup, members: list[dict[str, Any]]) -> dict[str, Any]:
    """A group changes when one of its members does; it exists since its first member does."""
    return {
        "id": str(group.id),
        "name": group.name,
        "status": COMPONENT_STATUS[group.status],
        "created_at": min(member["created_at"] for member in members),
        "updated_at": max(member["updated_at"] for member in members),
        "position": group.position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": str(view.page.id),
        "group": True,
        "only_show_if_degraded": False,
        "components": [member["id"] for member in members],
    }


def row_body(*, redacted: bool, kind: str, status: str, body: str | None) -> str:
    """What a timeline row says: its body, the redacted notice, or the status it moved to. A
    bare status change has no body of its own; Statuspage's readers expect one to show."""
    if redacted:
        return REDACTED_NOTICE
    if kind == "transition":
        return f"Status changed to {STATUS_LABELS[status]}."
    return body or ""


def update_body(item: PublicEntry) -> str:
    entry = item.entry
    return row_body(redacted=entry.redacted, kind=entry.kind, status=entry.status, body=item.body)


def webhook_head(
    view: PublicPage, *, unsubscribe_url: str, documentation_url: str, generated_at: datetime
) -> dict[str, Any]:
    """What every Statuspage webhook opens with: `meta`, for its subscriber, and `page`."""
    return {
        "meta": {
            "unsubscribe": unsubscribe_url,
            "documentation": documentation_url,
            "generated_at": iso_ms(generated_at),
        },
        "page": {
            "id": str(view.page.id),
            "status_indicator": view.status.indicator,
            "status_description": view.status.description,
        },
    }


def incidents_json(
    view: PublicPage,
    incidents: Iterable[PublicIncident],
    url: str,
    components: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The incident document of the public API and of the webhooks alike.

    `components` are the page's components as components_json shaped them: an incident lists
    the very objects the page does.
    """
    by_id = {component["id"]: component for component in components}
    return [_incident(view, incident, url, by_id) for incident in incidents]


def _incident(
    view: PublicPage,
    incident: PublicIncident,
    url: str,
    components: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    names = {component.id: component for component in view.components}
    monitoring = [e.entry.at for e in incident.entries if e.entry.status == "monitoring"]
    updates = []
    for item, affected in zip(incident.entries, component_changes(incident), strict=True):
        entry = item.entry
        updates.append(
            {
                "id": str(entry.update_id),
                "status": entry.status,
                "body": update_body(item),
                "incident_id": str(incident.id),
                "created_at": iso_ms(entry.at),
                "updated_at": iso_ms(entry.at),
                "display_at": iso_ms(entry.at),
                "affected_components": [
                    {
                        "code": str(component_id),
                        "name": names[component_id].name,
                        "old_status": COMPONENT_STATUS[old],
                        "new_status": COMPONENT_STATUS[new],
                    }
                    for component_id, old, new in affected
                    if component_id in names
                ]
                or None,
                "deliver_notifications": entry.notify_subscribers,
                "custom_tweet": None,
                "tweet_id": None,
            }
        )
    updates.reverse()  # Statuspage lists the newest update first
    return {
        "id": str(incident.id),
        "name": incident.title,
        "status": incident.status,
        "created_at": iso_ms(incident.published_at),
        "updated_at": iso_ms(incident.updated_at),
        "monitoring_at": iso_ms_or_none(min(monitoring, default=None)),
        "resolved_at": iso_ms_or_none(incident.resolved_at),
        "impact": incident.severity,
        "shortlink": incident_url(url, incident),
        "started_at": iso_ms(incident.opened_at),
        "page_id": str(view.page.id),
        "incident_updates": updates,
        "components": [
            components[str(cid)] for cid in incident.component_ids if str(cid) in components
        ],
        "postmortem_body": None,
        "postmortem_published_at": None,
    }


Change = tuple[UUID, ComponentState, ComponentState]  # component, old status, new status


def component_changes(incident: PublicIncident) -> list[list[Change]]:
    """Per entry, oldest first, the components it changed: from the status the incident's
    previous public updates gave each (operational before the first), to the one it gives.
    Resolving returns every component the incident left non-operational to operational."""
    current: dict[UUID, ComponentState] = {}
    changes = []
    for item in incident.entries:
        entry = item.entry
        news: dict[UUID, ComponentState]
        if entry.status == "resolved":  # it carries no component statuses of its own
            news = {cid: "operational" for cid, state in current.items() if state != "operational"}
        else:
            news = {cs.component_id: cs.status for cs in entry.component_statuses}
        changes.append([(cid, current.get(cid, "operational"), new) for cid, new in news.items()])
        current.update(news)
    return changes
