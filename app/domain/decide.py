"""`decide(command, state) -> events`: every rule of an incident, each once, in a fixed order."""

from __future__ import annotations

from typing import assert_never

from app.domain.commands import (
    Command,
    EditIncident,
    OpenIncident,
    PostUpdate,
    RedactUpdate,
    ThroughPage,
)
from app.domain.errors import DomainError
from app.domain.events import (
    ComponentStatusesChanged,
    Event,
    IncidentEdited,
    IncidentOpened,
    StatusChanged,
    UpdatePosted,
    UpdateRedacted,
)
from app.domain.incident import Incident, State
from app.domain.page_status import shows
from app.domain.update_rules import (
    check_forward,
    check_public_surface,
    check_redactable,
    check_text,
    has_text,
)
from app.domain.values import STATUS_ORDER, ComponentStatus


def decide(command: Command, state: State) -> list[Event]:
    match command:
        case OpenIncident():
            return open_incident(command, state)
        case EditIncident():
            return edit_incident(command, _existing(state))
        case PostUpdate():
            if command.through_page is not None:
                check_through_page(command.through_page, state)
            return post_update(command, _existing(state))
        case RedactUpdate():
            return redact_update(command, _existing(state))
        case _:
            assert_never(command)


def _existing(state: State) -> Incident:
    if state is None:
        raise DomainError("not_found", "No incident with the given ID exists in your organization.")
    return state


def check_through_page(page: ThroughPage, state: State) -> None:
    """An update posted through a status page is for an incident that published page shows;
    otherwise, as for an incident that does not exist, there is nothing to update."""
    if page.component_ids is None:
        raise DomainError(
            "not_found",
            "No published status page with the given ID exists in your organization.",
            ("status_page_id",),
        )
    if state is None or not shows(page.component_ids, state.component_ids):
        raise DomainError("not_found", "The status page does not show an incident with this ID.")


def _unique(ids: tuple) -> tuple:
    return tuple(dict.fromkeys(ids))


def open_incident(command: OpenIncident, state: State) -> list[Event]:
    if state is not None:
        raise DomainError("incident_exists", "An incident with this ID already exists.")
    return [
        IncidentOpened(
            incident_id=command.incident_id,
            organization_id=command.organization_id,
            title=command.title,
            severity=command.severity,
            component_ids=_unique(command.component_ids),
            owner_schedule_id=command.owner_schedule_id,
            opened_by=command.actor,
            at=command.at,
        )
    ]


def edit_incident(command: EditIncident, state: Incident) -> list[Event]:
    if state.status == "resolved":
        raise DomainError(
            "incident_resolved", "The incident is already resolved; it can no longer be edited."
        )
    component_ids = None if command.component_ids is None else _unique(command.component_ids)
    edited = IncidentEdited(
        title=command.title if command.title not in (None, state.title) else None,
        severity=command.severity if command.severity not in (None, state.severity) else None,
        component_ids=component_ids if component_ids not in (None, state.component_ids) else None,
        edited_by=command.actor,
        at=command.at,
    )
    if edited.title is None and edited.severity is None and edited.component_ids is None:
        return []
    return [edited]


def _check_component_statuses(command: PostUpdate, state: Incident) -> None:
    seen: set = set()
    for index, cs in enumerate(command.component_statuses):
        field = ("component_statuses", index, "component_id")
        if cs.component_id not in state.component_ids:
            raise DomainError(
                "component_not_affected",
                "This component is not affected by the incident; add it to the incident first.",
                field,
            )
        if cs.component_id in seen:
            raise DomainError(
                "duplicate_component", "This component is listed more than once.", field
            )
        seen.add(cs.component_id)


def post_update(command: PostUpdate, state: Incident) -> list[Event]:
    _check_component_statuses(command, state)
    if state.status == "resolved":
        raise DomainError(
            "incident_resolved",
            "The incident is resolved; it accepts no further updates.",
        )
    if command.max_updates is not None and state.update_count >= command.max_updates:
        raise DomainError(
            "update_limit_reached",
            f"The incident already has {state.update_count} updates; "
            f"at most {command.max_updates} are allowed.",
        )
    status_change = command.status_change
    if status_change == state.status and command.same_status_is_no_change:
        status_change = None
    check_text(command.visibility, command.body, status_change)
    check_forward("incident", STATUS_ORDER, state.status, status_change)
    if status_change == "resolved" and command.component_statuses:
        raise DomainError(
            "component_statuses_on_resolve",
            "Component statuses cannot be set by the update that resolves the incident: every "
            "affected component returns to operational.",
            ("component_statuses",),
        )
    check_public_surface(
        command.visibility,
        command.published_component_ids,
        state.component_ids,
        "The incident has no published status page that covers its affected components.",
    )

    events: list[Event] = [
        UpdatePosted(
            update_id=command.update_id,
            visibility=command.visibility,
            has_body=has_text(command.body),
            status_change=status_change,
            component_statuses=command.component_statuses,
            notify_subscribers=command.notify_subscribers,
            posted_by=command.actor,
            at=command.at,
        )
    ]
    if status_change is not None:
        events.append(
            StatusChanged(
                update_id=command.update_id,
                from_status=state.status,
                to_status=status_change,
                at=command.at,
            )
        )
    component_statuses = command.component_statuses
    if status_change == "resolved":
        component_statuses = tuple(
            ComponentStatus(component_id=cid, status="operational") for cid in state.component_ids
        )
    if component_statuses:
        events.append(
            ComponentStatusesChanged(
                update_id=command.update_id, component_statuses=component_statuses, at=command.at
            )
        )
    return events


def redact_update(command: RedactUpdate, state: Incident) -> list[Event]:
    check_redactable("incident", command.standing)
    return [UpdateRedacted(update_id=command.update_id, redacted_by=command.actor, at=command.at)]
