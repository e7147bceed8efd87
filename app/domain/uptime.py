"""A component's uptime: daily minutes per non-operational status, and percentages, from its
status intervals and the incidents that touched it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from statistics import fmean
from uuid import UUID

import msgspec

from app.domain.page_status import SHOWN_ORDER, ShownState
from app.domain.public_page import PublicPage
from app.domain.timeline import ComponentInterval

DayMinutes = dict[ShownState, int]

# The share of its time a status takes from uptime, as Atlassian Statuspage counts it: a full
# outage all of it, a partial outage 30%. Any status not named here (degraded performance,
# maintenance) takes nothing.
DOWNTIME_WEIGHTS: Mapping[str, float] = {"full_outage": 1.0, "partial_outage": 0.3}
DAY = timedelta(days=1)


class IncidentSpan(msgspec.Struct, frozen=True, kw_only=True):
    """A public incident as the uptime bars name it: from its first public update to its end."""

    id: UUID
    title: str
    component_ids: tuple[UUID, ...]
    started_at: datetime
    ended_at: datetime | None  # None while it is open


class UptimeDay(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    minutes: DayMinutes
    percent: float | None  # None for a day before the component existed
    incidents: tuple[str, ...]  # titles of the incidents open that day, first opened first


class Uptime(msgspec.Struct, frozen=True, kw_only=True):
    days: tuple[UptimeDay, ...]  # oldest first, today last
    # Over the last 30, 60 and 90 days (those the window holds), what narrow screens show and
    # the whole window; None where the component did not exist yet.
    percents: dict[int, float | None]

    @property
    def percent(self) -> float | None:
        return self.percents[len(self.days)]


def _spans(days: int) -> list[int]:
    return sorted({n for n in (30, 60) if n < days} | {days})


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _daily_seconds(
    intervals: Iterable[ComponentInterval], now: datetime, days: int
) -> tuple[date, dict[date, dict[ShownState, float]]]:
    """The window's first day, and the seconds each of its days spent in each non-operational
    status; where spans overlap, the worst status counts. A maintenance counts as
    under_maintenance, below any outage and never as one."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    window_start = _midnight(first)
    spans = [
        (max(span.started_at, window_start), min(span.ended_at or now, now), span.status)
        for span in intervals
        if (span.ended_at or now) > window_start
    ]
    # Sweep over every moment a span starts or ends, plus every midnight in the window.
    cuts = {start for start, _, _ in spans} | {end for _, end, _ in spans}
    cuts |= {window_start + n * DAY for n in range(days + 1)}
    moments = sorted(cut for cut in cuts if window_start <= cut <= now)
    seconds: dict[date, dict[ShownState, float]] = {}
    for begin, end in pairwise(moments):
        active = [status for start, stop, status in spans if start <= begin and stop >= end]
        if not active:
            continue
        worst = max(active, key=SHOWN_ORDER.index)
        day = seconds.setdefault(begin.astimezone(UTC).date(), {})
        day[worst] = day.get(worst, 0.0) + (end - begin).total_seconds()
    return first, seconds


def _minutes(seconds: Mapping[ShownState, float]) -> DayMinutes:
    """Rounded, but at least one, so that even a short blip shows."""
    return {status: max(1, round(total / 60)) for status, total in seconds.items()}


def daily_minutes(
    intervals: Iterable[ComponentInterval], now: datetime, days: int = 90
) -> list[tuple[date, DayMinutes]]:
    """For each of the last `days` UTC days (oldest first, today last), the minutes spent in each
    non-operational status. Where incidents overlap, the worst status counts."""
    first, seconds = _daily_seconds(intervals, now, days)
    return [(first + n * DAY, _minutes(seconds.get(first + n * DAY, {}))) for n in range(days)]


def _titles(incidents: Iterable[IncidentSpan], day: date, now: datetime) -> tuple[str, ...]:
    start, end = _midnight(day), _midnight(day) + DAY
    touching = [i for i in incidents if i.started_at < end and (i.ended_at or now) >= start]
    ordered = sorted(dict((i.id, i) for i in touching).values(), key=lambda i: i.started_at)
    return tuple(incident.title for incident in ordered)


def component_uptime(
    intervals: Iterable[ComponentInterval],
    incidents: Iterable[IncidentSpan],
    since: datetime,
    now: datetime,
    days: int = 90,
) -> Uptime:
    """Uptime of a component that exists since `since`, over the last `days` UTC days: each
    day's minutes per status, percentage and incidents, and the percentage of them all. Only
    the time since `since` counts."""
    incidents = list(incidents)
    first, seconds = _daily_seconds(intervals, now, days)
    observed_by_day: list[float] = []
    down_by_day: list[float] = []
    result = []
    for n in range(days):
        day = first + n * DAY
        observed = max(
            0.0, (min(_midnight(day) + DAY, now) - max(_midnight(day), since)).total_seconds()
        )
        spent = seconds.get(day, {})
        down = sum(DOWNTIME_WEIGHTS.get(status, 0.0) * total for status, total in spent.items())
        observed_by_day.append(observed)
        down_by_day.append(down)
        result.append(
            UptimeDay(
                day=day,
                minutes=_minutes(spent),
                percent=_percent(down, observed),
                incidents=_titles(incidents, day, now),
            )
        )
    percents = {n: _percent(sum(down_by_day[-n:]), sum(observed_by_day[-n:])) for n in _spans(days)}
    return Uptime(days=tuple(result), percents=percents)


def _percent(down: float, observed: float) -> float | None:
    return None if observed <= 0 else 100.0 * max(0.0, 1.0 - down / observed)


def group_uptime(
    intervals: Iterable[ComponentInterval],
    incidents: Iterable[IncidentSpan],
    members: Sequence[Uptime],
    now: datetime,
    days: int = 90,
) -> Uptime:
    """A group's uptime, as Statuspage counts it: each percentage the mean of its members' (of
    those that existed then); its bars show the worst status of any member, from `intervals`
    (all of its members'), and every incident of any member."""
    incidents = list(incidents)
    bars = daily_minutes(intervals, now, days)
    result = []
    for n, (day, minutes) in enumerate(bars):
        result.append(
            UptimeDay(
                day=day,
                minutes=minutes,
                percent=_mean(m.days[n].percent for m in members),
                incidents=_titles(incidents, day, now),
            )
        )
    return Uptime(
        days=tuple(result),
        percents={n: _mean(m.percents[n] for m in members) for n in _spans(days)},
    )


def _mean(percents: Iterable[float | None]) -> float | None:
    known = [p for p in percents if p is not None]
    return fmean(known) if known else None


def page_uptime(
    view: PublicPage,
    history: Mapping[UUID, Sequence[ComponentInterval]],
    incidents: Sequence[IncidentSpan],
    now: datetime,
    days: int = 90,
) -> dict[UUID, Uptime]:
    """The uptime of every component and group of the page, by id."""

    def touching(component_ids: set[UUID]) -> list[IncidentSpan]:
        return [i for i in incidents if not component_ids.isdisjoint(i.component_ids)]

    uptime = {
        c.id: component_uptime(history.get(c.id, ()), touching({c.id}), c.created_at, now, days)
        for c in view.components
    }
    for group in view.groups:
        members = [c.id for c in group.components]
        uptime[group.id] = group_uptime(
            [span for member in members for span in history.get(member, ())],
            touching(set(members)),
            [uptime[member] for member in members],
            now,
            days,
        )
    return uptime
