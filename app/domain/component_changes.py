"""When a component's public status changes, and what a component_update message tells.

A component shows the worst status any open public incident gives it. Every such status is a
public span (ComponentInterval), so the status just before and just after a moment follows from
the spans around that moment, whichever incidents opened them and however late it is asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import msgspec

from app.domain.page_status import worst_component_state
from app.domain.timeline import ComponentInterval
from app.domain.values import ComponentState


class ComponentChange(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    component_id: UUID
    old_status: ComponentState
    new_status: ComponentState
    changed_at: datetime


def _before(span: ComponentInterval, at: datetime) -> bool:
    return span.started_at < at and (span.ended_at is None or span.ended_at >= at)


def _after(span: ComponentInterval, at: datetime) -> bool:
    return span.started_at <= at and (span.ended_at is None or span.ended_at > at)


def status_changes(
    spans: Iterable[ComponentInterval], at: datetime
) -> list[tuple[UUID, ComponentState, ComponentState]]:
    """(component, old status, new status) of each component whose public status changed at
    `at`, in the order of first appearance; `spans` are every span of those components that
    covers `at` or starts or ends there."""
    by_component: dict[UUID, list[ComponentInterval]] = {}
    for span in spans:
        by_component.setdefault(span.component_id, []).append(span)
    changes = []
    for component_id, around in by_component.items():
        old = worst_component_state(s.status for s in around if _before(s, at))
        new = worst_component_state(s.status for s in around if _after(s, at))
        if old != new:
            changes.append((component_id, old, new))
    return changes


def component_change_key(change_id: UUID, subscriber_id: UUID) -> str:
    """The same for every attempt at telling one subscriber of one change."""
    return hashlib.sha256(f"component:{change_id}:{subscriber_id}".encode()).hexdigest()[:32]
