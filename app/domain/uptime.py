"""Daily minutes per non-operational status for one component, from its status intervals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from app.domain.page_status import SHOWN_ORDER, ShownState
from app.domain.timeline import ComponentInterval

DayMinutes = dict[ShownState, int]


def daily_minutes(
    intervals: Iterable[ComponentInterval], now: datetime, days: int = 90
) -> list[tuple[date, DayMinutes]]:
    """For each of the last `days` UTC days (oldest first, today last), the minutes spent in each
    non-operational status, rounded, but at least one so that even a short blip shows.
    Where incidents overlap, the worst status counts; a maintenance counts as under_maintenance,
    below any outage and never as one."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    window_start = datetime.combine(first, datetime.min.time(), UTC)
    spans = [
        (max(span.started_at, window_start), min(span.ended_at or now, now), span.status)
        for span in intervals
        if (span.ended_at or now) > window_start
    ]
    # Sweep over every moment a span starts or ends, plus every midnight in the window.
    cuts = {start for start, _, _ in spans} | {end for _, end, _ in spans}
    cuts |= {window_start + timedelta(days=n) for n in range(days + 1)}
    moments = sorted(cut for cut in cuts if window_start <= cut <= now)
    seconds: dict[date, dict[ShownState, float]] = {}
    for begin, end in pairwise(moments):
        active = [status for start, stop, status in spans if start <= begin and stop >= end]
        if not active:
            continue
        worst = max(active, key=SHOWN_ORDER.index)
        day = seconds.setdefault(begin.astimezone(UTC).date(), {})
        day[worst] = day.get(worst, 0.0) + (end - begin).total_seconds()
    return [
        (
            first + timedelta(days=n),
            {
                status: max(1, round(total / 60))
                for status, total in seconds.get(first + timedelta(days=n), {}).items()
            },
        )
        for n in range(days)
    ]
