"""Daily minutes per non-operational status: the uptime bars of one component."""

from datetime import UTC, datetime, timedelta, timezone

from app.domain.timeline import ComponentInterval, component_intervals
from app.domain.uptime import daily_minutes
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
