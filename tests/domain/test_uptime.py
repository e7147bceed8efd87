"""Daily minutes per non-operational status: the uptime bars of one component."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from app.domain.timeline import ComponentInterval, component_intervals
from app.domain.uptime import IncidentSpan, component_uptime, daily_minutes, group_uptime
from app.domain.values import ComponentState

from .examples import API, T0, UPDATE_1, UPDATE_2, at, cs, opened, told

TODAY = T0.date()


def clock(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A UTC time on TODAY + `day` (0 is today, -1 yesterday)."""
    return datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(
        days=day, hours=hour, minutes=minute, seconds=second
    )


# Noon today: the window's last day is half over.
NOON = clock(0, 12)


def down(status: ComponentState, start: datetime, end: datetime | None = None) -> ComponentInterval:
    return ComponentInterval(component_id=API, status=status, started_at=start, ended_at=end)


def bars(*intervals: ComponentInterval, days: int = 3, now: datetime = NOON) -> list[dict]:
    """The minutes of each day in the window, oldest first, without the dates."""
    return [minutes for _, minutes in daily_minutes(intervals, now, days)]


def test_the_window_is_the_last_ninety_utc_days_oldest_first():
    window = daily_minutes([], NOON)
    assert len(window) == 90
    assert [day for day, _ in window] == [TODAY - timedelta(days=n) for n in range(89, -1, -1)]
    assert all(minutes == {} for _, minutes in window)


def test_the_window_has_exactly_the_days_asked_for_even_with_history():
    window = daily_minutes([down("full_outage", clock(-30, 0))], NOON, days=7)
    assert [day for day, _ in window] == [TODAY - timedelta(days=n) for n in range(6, -1, -1)]


def test_a_closed_span_counts_on_its_day():
    assert bars(down("partial_outage", clock(0, 9), clock(0, 9, 45))) == [
        {},
        {},
        {"partial_outage": 45},
    ]


def test_an_open_span_runs_until_now():
    assert bars(down("full_outage", clock(0, 11, 20))) == [{}, {}, {"full_outage": 40}]


def test_a_span_crossing_midnight_splits_across_the_days():
    assert bars(down("degraded_performance", clock(-1, 23, 30), clock(0, 0, 15))) == [
        {},
        {"degraded_performance": 30},
        {"degraded_performance": 15},
    ]


def test_a_span_over_several_days_fills_the_days_between():
    assert bars(down("partial_outage", clock(-2, 12), clock(0, 6))) == [
        {"partial_outage": 720},
        {"partial_outage": 1440},
        {"partial_outage": 360},
    ]


def test_where_spans_overlap_the_worst_status_counts():
    today = bars(
        down("degraded_performance", clock(0, 9), clock(0, 11)),
        down("full_outage", clock(0, 9, 30), clock(0, 10)),
    )[-1]
    assert today == {"degraded_performance": 90, "full_outage": 30}


def test_a_milder_span_counts_only_once_the_worse_one_ends():
    today = bars(
        down("full_outage", clock(0, 9), clock(0, 10)),
        down("partial_outage", clock(0, 9, 30), clock(0, 11)),
    )[-1]
    assert today == {"full_outage": 60, "partial_outage": 60}


def test_overlapping_spans_of_one_status_count_their_time_once():
    today = bars(
        down("partial_outage", clock(0, 9), clock(0, 10)),
        down("partial_outage", clock(0, 9, 30), clock(0, 10, 30)),
    )[-1]
    assert today == {"partial_outage": 90}


def test_the_worst_of_three_statuses_wins_each_stretch():
    today = bars(
        down("degraded_performance", clock(0, 8), clock(0, 11)),
        down("partial_outage", clock(0, 9), clock(0, 10, 30)),
        down("full_outage", clock(0, 9, 30), clock(0, 9, 45)),
    )[-1]
    assert today == {"degraded_performance": 90, "partial_outage": 75, "full_outage": 15}


def test_an_open_span_under_a_closed_worse_one_runs_until_now():
    today = bars(
        down("degraded_performance", clock(0, 10)),
        down("full_outage", clock(0, 10, 30), clock(0, 11)),
    )[-1]
    assert today == {"degraded_performance": 90, "full_outage": 30}


def test_spans_before_the_window_are_ignored():
    assert bars(down("full_outage", clock(-5, 0), clock(-3, 23))) == [{}, {}, {}]


def test_a_span_from_before_the_window_counts_from_its_first_day():
    assert bars(down("full_outage", clock(-3, 22), clock(-2, 1))) == [
        {"full_outage": 60},
        {},
        {},
    ]


def test_a_span_open_since_before_the_window_fills_it_until_now():
    assert bars(down("partial_outage", clock(-10, 0))) == [
        {"partial_outage": 1440},
        {"partial_outage": 1440},
        {"partial_outage": 720},
    ]


def test_minutes_are_rounded_to_the_nearest():
    today = bars(
        down("degraded_performance", clock(0, 9), clock(0, 9, 1, 29)),
        down("full_outage", clock(0, 10), clock(0, 10, 1, 31)),
    )[-1]
    assert today == {"degraded_performance": 1, "full_outage": 2}


def test_a_blip_shorter_than_a_minute_still_shows_as_one():
    today = bars(
        down("full_outage", clock(0, 9), clock(0, 9, 0, 20)),
        down("partial_outage", clock(0, 10), clock(0, 10, 5)),
    )[-1]
    assert today == {"full_outage": 1, "partial_outage": 5}


def test_days_are_utc_days_whatever_the_zone_of_now():
    # Noon UTC is already tomorrow at UTC+14; the last bar is still today's UTC day.
    now = NOON.astimezone(timezone(timedelta(hours=14)))
    window = daily_minutes([down("full_outage", clock(0, 11))], now, days=3)
    assert window[-1] == (TODAY, {"full_outage": 60})


def test_days_are_utc_days_whatever_the_zone_of_the_spans():
    # 23:00-23:30 UTC yesterday, written as 01:00-01:30 today at UTC+2, is yesterday's.
    plus_two = timezone(timedelta(hours=2))
    span = down(
        "full_outage", clock(-1, 23).astimezone(plus_two), clock(-1, 23, 30).astimezone(plus_two)
    )
    assert bars(span) == [{}, {"full_outage": 30}, {}]


def test_the_bars_of_an_incidents_spans():
    events = [
        opened(),
        *told(UPDATE_1, 5, cs(API, "full_outage")),
        *told(UPDATE_2, 35, cs(API, "degraded_performance")),
    ]
    window = daily_minutes(component_intervals(events), at(95), days=2)
    assert window == [
        (TODAY - timedelta(days=1), {}),
        (TODAY, {"full_outage": 30, "degraded_performance": 60}),
    ]


# A component that existed before the window opened.
LONG_AGO = clock(-400, 0)


def test_a_day_counts_a_full_outage_whole_a_partial_one_at_30_percent_and_degraded_not_at_all():
    uptime = component_uptime(
        [
            down("full_outage", clock(-2, 0), clock(-2, 1, 12)),  # 72 min of 1440: 5%
            down("partial_outage", clock(-1, 0), clock(-1, 4)),  # 240 min * 0.3: 5%
            down("degraded_performance", clock(-1, 6), clock(-1, 18)),
        ],
        [],
        LONG_AGO,
        clock(0, 12),
        days=3,
    )
    assert [day.percent for day in uptime.days] == pytest.approx([95.0, 95.0, 100.0])
    # 72 + 72 minutes down of 2.5 days.
    assert uptime.percent == pytest.approx(100 * (1 - 144 / (60 * 60)))
    assert uptime.days[1].minutes == {"partial_outage": 240, "degraded_performance": 720}


def test_only_the_time_since_the_component_exists_counts():
    created = clock(-1, 12)
    uptime = component_uptime(
        [down("full_outage", clock(-1, 12), clock(-1, 18))], [], created, clock(0, 6), days=3
    )
    assert uptime.days[0].percent is None
    assert uptime.days[1].percent == pytest.approx(50.0)
    assert uptime.days[2].percent == pytest.approx(100.0)
    assert uptime.percent == pytest.approx(100 * (1 - 6 / 18))
    assert component_uptime([], [], clock(0, 13), NOON, days=3).percent is None


def span(title: str, start: datetime, end: datetime | None, n: int) -> IncidentSpan:
    return IncidentSpan(
        id=UUID(int=n), title=title, component_ids=(API,), started_at=start, ended_at=end
    )


def test_each_day_names_the_incidents_open_on_it_first_opened_first():
    incidents = [
        span("Still open", clock(-1, 22), None, 1),
        span("Two days", clock(-2, 23), clock(-1, 1), 2),
        span("Long ago", clock(-9, 0), clock(-8, 0), 3),
    ]
    uptime = component_uptime([], incidents, LONG_AGO, NOON, days=3)
    assert [day.incidents for day in uptime.days] == [
        ("Two days",),
        ("Two days", "Still open"),
        ("Still open",),
    ]


def test_a_group_averages_its_members_and_its_bars_show_the_worst_of_them():
    now = clock(0, 12)
    ours = [down("full_outage", clock(-1, 0), clock(-1, 12))]
    theirs = [down("degraded_performance", clock(-1, 6), clock(-1, 18))]
    members = [
        component_uptime(ours, [], LONG_AGO, now, days=2),
        component_uptime(theirs, [], LONG_AGO, now, days=2),
        # Created today: no figure for yesterday, so it does not pull that day up.
        component_uptime([], [], clock(0, 0), now, days=2),
    ]
    group = group_uptime([*ours, *theirs], [span("Outage", clock(-1, 0), None, 1)], members, now, 2)
    assert group.days[0].percent == pytest.approx(75.0)
    assert group.days[0].minutes == {"full_outage": 720, "degraded_performance": 360}
    assert group.days[1].percent == pytest.approx(100.0)
    assert group.days[1].incidents == ("Outage",)
    # The member created today counts in the window's figure from today on.
    assert group.percent == pytest.approx((100 * (1 - 12 / 36) + 100 + 100) / 3)


def test_narrow_screens_get_the_figures_of_the_last_30_and_60_days_too():
    uptime = component_uptime(
        [down("full_outage", clock(-45, 0), clock(-44, 0))], [], LONG_AGO, clock(0, 0), days=90
    )
    # At midnight today has no time yet: 59 and 89 whole days are counted.
    assert uptime.percents[30] == pytest.approx(100.0)
    assert uptime.percents[60] == pytest.approx(100 * (1 - 1 / 59))
    assert uptime.percents[90] == uptime.percent == pytest.approx(100 * (1 - 1 / 89))
