"""Domain errors: a stable code, its kind and a message, never an HTTP status."""

from __future__ import annotations

from typing import Literal

FieldPath = tuple[str | int, ...]

# rule: the command was understood and a rule refused it; the same command is refused again, so
#       the refusal is the command's outcome (and an Idempotency-Key stores it).
# not_found: the command names something that does not exist for the caller.
# invalid: an input names something it may not (a component the incident does not affect).
# conflict: the state moved under the command; sent again, it may be accepted.
ErrorKind = Literal["rule", "not_found", "invalid", "conflict"]

# Every code a DomainError may carry, once. Each API dialect maps every one of them to its own
# answer (tests/api/test_error_codes.py holds them to it).
CODES: dict[str, ErrorKind] = {
    "not_found": "not_found",
    "incident_resolved": "rule",
    "update_limit_reached": "rule",
    "update_must_carry_body_or_status_change": "rule",
    "body_required_for_public": "rule",
    "invalid_status_transition": "rule",
    "component_statuses_on_resolve": "rule",
    "no_public_surface": "rule",
    "already_redacted": "rule",
    "maintenance_window_invalid": "rule",
    "maintenance_window_in_past": "rule",
    "maintenance_started": "rule",
    "maintenance_finished": "rule",
    "component_not_affected": "invalid",
    "duplicate_component": "invalid",
    "unknown_component": "invalid",
    "component_not_on_page": "invalid",
    "duplicate_group_name": "invalid",
    "incident_exists": "conflict",
    "maintenance_exists": "conflict",
    "slug_taken": "conflict",
    "subscriber_exists": "conflict",
    "delivery_not_retryable": "conflict",
    "write_conflict": "conflict",
}

# The rules each command is checked against, in the order decide checks them, for documents
# that list what an operation may answer.
RULES_OF: dict[str, tuple[str, ...]] = {
    "EditIncident": ("incident_resolved",),
    "PostUpdate": (
        "incident_resolved",
        "update_limit_reached",
        "update_must_carry_body_or_status_change",
        "body_required_for_public",
        "invalid_status_transition",
        "component_statuses_on_resolve",
        "no_public_surface",
    ),
    "RedactUpdate": ("already_redacted",),
    "ScheduleMaintenance": ("maintenance_window_invalid", "maintenance_window_in_past"),
    "EditMaintenance": (
        "maintenance_finished",
        "maintenance_started",
        "maintenance_window_invalid",
        "maintenance_window_in_past",
    ),
    "StartMaintenance": ("maintenance_finished",),
    "CompleteMaintenance": ("maintenance_finished", "invalid_status_transition"),
    "CancelMaintenance": ("maintenance_finished", "maintenance_started"),
    "PostMaintenanceUpdate": (
        "maintenance_finished",
        "update_must_carry_body_or_status_change",
        "body_required_for_public",
        "invalid_status_transition",
        "no_public_surface",
    ),
    "RedactMaintenanceUpdate": ("already_redacted",),
}


class DomainError(Exception):
    """A command was refused; `code` is stable and each API dialect maps it to its own reply.

    `field` names the offending input in domain terms (snake_case parts and list indexes) when
    the refusal is about one input, so every dialect can point at it in its own spelling; the
    message names no field, so every dialect can show it as it is.
    """

    def __init__(self, code: str, message: str, field: FieldPath | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unregistered error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def kind(self) -> ErrorKind:
        return CODES[self.code]

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, field={self.field!r})"
