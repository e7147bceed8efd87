"""A component's public status changes only when the worst of its open spans does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.domain.component_changes import status_changes
from app.domain.timeline import ComponentInterval

PAYMENTS, SEARCH = UUID(int=1), UUID(int=2)
T = datetime(2025, 4, 7, 9, 14, tzinfo=UTC)


def span(component: UUID, status: str, start: int, end: int | None = None) -> ComponentInterval:
    return ComponentInterval(
        component_id=component,
        status=status,  # type: ignore[arg-type]
        started_at=T + timedelta(minutes=start),
        ended_at=None if end is None else T + timedelta(minutes=end),
    )


def test_a_span_starting_or_ending_changes_the_status_the_public_sees():
    assert status_changes([span(PAYMENTS, "partial_outage", 0)], T) == [
        (PAYMENTS, "operational", "partial_outage")
    ]
    assert status_changes([span(PAYMENTS, "partial_outage", -5, 0)], T) == [
        (PAYMENTS, "partial_outage", "operational")
    ]


def test_a_lesser_status_beside_a_worse_one_changes_nothing_until_the_worse_ends():
    worse = span(PAYMENTS, "full_outage", -10)
    assert status_changes([worse, span(PAYMENTS, "degraded_performance", 0)], T) == []
    ended = span(PAYMENTS, "full_outage", -10, 0)
    assert status_changes([ended, span(PAYMENTS, "degraded_performance", -5)], T) == [
        (PAYMENTS, "full_outage", "degraded_performance")
    ]


def test_a_status_said_again_is_no_change_and_components_are_judged_apart():
    again = [span(PAYMENTS, "partial_outage", -5, 0), span(PAYMENTS, "partial_outage", 0)]
    assert status_changes([*again, span(SEARCH, "degraded_performance", 0)], T) == [
        (SEARCH, "operational", "degraded_performance")
    ]
