"""The rules an update obeys on any stream, incident or maintenance: each code raised here once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from app.domain.errors import DomainError
from app.domain.page_status import shows
from app.domain.values import UpdateStanding, Visibility


def has_text(body: str | None) -> bool:
    # Whitespace alone says nothing to a reader, so it counts as no body.
    return body is not None and body.strip() != ""


def check_text(visibility: Visibility, body: str | None, status_change: str | None) -> None:
    """An update says something, and a public one says it in words."""
    if not has_text(body) and status_change is None:
        raise DomainError(
            "update_must_carry_body_or_status_change",
            "An update needs some text or a status change.",
            ("body",),
        )
    if visibility == "public" and not has_text(body):
        raise DomainError("body_required_for_public", "A public update needs some text.", ("body",))


def check_forward(what: str, order: Sequence[str], status: str, change: str | None) -> None:
    """A status change moves the `what` forward along `order`, never back or in place."""
    if change is not None and (change not in order or order.index(change) <= order.index(status)):
        raise DomainError(
            "invalid_status_transition",
            f"The {what} is {status}; it can only move forward "
            f"({' -> '.join(order)}), not to {change}.",
            ("status_change",),
        )


def check_public_surface(
    visibility: Visibility,
    published_component_ids: Iterable[UUID],
    component_ids: Iterable[UUID],
    message: str,
) -> None:
    """A public update needs a published page that shows it."""
    if visibility == "public" and not shows(published_component_ids, component_ids):
        raise DomainError("no_public_surface", message)


def check_redactable(what: str, standing: UpdateStanding) -> None:
    """Only an update the `what` posted, and has not redacted yet, can be redacted."""
    if standing == "absent":
        raise DomainError("not_found", f"No update with the given ID exists on this {what}.")
    if standing == "redacted":
        raise DomainError("already_redacted", "This update has already been redacted.")
