"""Business calendars: conventions, DST, holidays, spec errors, properties."""

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slaengine.calendars import BusinessCalendar, CalendarSpecError
from slaengine.errors import ConfigError, InvalidInput
from tests import timepoints as tp
from tests.timepoints import chicago, dublin, singapore, utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = WEEKDAYS[:5]


def make_calendar(tz="America/Chicago", hours=None, **extra):
    """Return a calendar; by default Chicago, Mon-Fri 08:00-20:00."""
    if hours is None:
        hours = {day: [["08:00", "20:00"]] for day in WORKDAYS}
    return BusinessCalendar.from_spec({"tz": tz, "hours": hours, **extra})


def every_day(*intervals):
    return {day: [list(interval) for interval in intervals] for day in WEEKDAYS}


@pytest.fixture
def business():
    """Chicago, Mon-Fri 08:00-20:00, closed on 2026-07-03 and 2026-12-25."""
    return make_calendar(holidays=["2026-07-03", "2026-12-25"])


# -- adding business minutes --------------------------------------------------


def test_add_inside_hours_returns_utc(business):
    due = business.add_business_minutes(tp.TUE_MORNING_CHICAGO, 60)
    assert due == chicago(2026, 3, 3, 11, 0)
    assert due.tzinfo is UTC


def test_add_before_opening_starts_at_opening(business):
    assert business.add_business_minutes(tp.TUE_EARLY_CHICAGO, 0) == chicago(
        2026, 3, 3, 8, 0
    )
    assert business.add_business_minutes(tp.TUE_EARLY_CHICAGO, 30) == chicago(
        2026, 3, 3, 8, 30
    )


def test_add_after_closing_continues_next_morning(business):
    due = business.add_business_minutes(tp.TUE_NIGHT_CHICAGO, 30)
    assert due == chicago(2026, 3, 4, 8, 30)


def test_add_over_weekend_lands_after_spring_forward(business):
    saturday_noon = chicago(2026, 3, 7, 12, 0)
    assert business.add_business_minutes(saturday_noon, 15) == chicago(
        2026, 3, 9, 8, 15
    )


def test_add_skips_holiday_and_weekend(business):
    # Thu 19:00: one hour left on Thursday, Fri 25th is Christmas.
    due = business.add_business_minutes(tp.CHRISTMAS_EVE_CHICAGO, 120)
    assert due == chicago(2026, 12, 28, 9, 0)


def test_budget_ending_at_close_is_due_at_next_opening(business):
    assert business.add_business_minutes(tp.TUE_EVENING_CHICAGO, 60) == (
        tp.WED_OPEN_CHICAGO
    )


def test_add_zero_gives_first_business_instant(business):
    assert business.add_business_minutes(tp.TUE_MORNING_CHICAGO, 0) == (
        tp.TUE_MORNING_CHICAGO
    )
    assert business.add_business_minutes(tp.TUE_CLOSE_CHICAGO, 0) == (
        tp.WED_OPEN_CHICAGO
    )


def test_add_keeps_seconds_and_fractions(business):
    start = chicago(2026, 3, 3, 10, 0, 7, 250_000)
    due = business.add_business_minutes(start, 0.5)
    assert due == chicago(2026, 3, 3, 10, 0, 37, 250_000)
    assert business.add_business_minutes(start, 1 / 60_000_000) == start + (
        timedelta(microseconds=1)
    )


def test_add_twenty_business_days(business):
    """Four weeks without holidays, ending exactly at a Friday close."""
    due = business.add_business_minutes(tp.MON_JUNE_OPEN_CHICAGO, 20 * 720)
    assert due == chicago(2026, 6, 29, 8, 0)
    used = business.business_minutes_between(
        tp.MON_JUNE_OPEN_CHICAGO, chicago(2026, 6, 26, 20, 0)
    )
    assert used == 20 * 720


@pytest.mark.parametrize("minutes", [0, 1, 15, 60, 240, 480, 720, 7200, 14400])
@pytest.mark.parametrize(
    "start",
    [tp.TUE_MORNING_CHICAGO, tp.TUE_NIGHT_CHICAGO, tp.CHRISTMAS_CHICAGO],
    ids=["inside", "after-close", "holiday"],
)
def test_add_then_measure_round_trips(business, start, minutes):
    due = business.add_business_minutes(start, minutes)
    assert business.business_minutes_between(start, due) == minutes
    assert business.is_open(due)


def test_inputs_in_other_zones_give_same_answer(business):
    in_dublin = tp.TUE_MORNING_CHICAGO.astimezone(ZoneInfo("Europe/Dublin"))
    assert business.add_business_minutes(in_dublin, 60) == chicago(2026, 3, 3, 11)


# -- measuring business time --------------------------------------------------


def test_between_keeps_seconds(business):
    start = tp.TUE_MORNING_CHICAGO
    assert business.business_minutes_between(start, start) == 0.0
    half = business.business_minutes_between(start, start + timedelta(seconds=30))
    assert half == 0.5


def test_between_across_weekend(business):
    friday = chicago(2026, 3, 6, 19, 0)
    monday = chicago(2026, 3, 9, 9, 0)
    assert business.business_minutes_between(friday, monday) == 120


def test_between_counts_nothing_on_holiday(business):
    day = chicago(2026, 12, 25, 0, 0)
    assert business.business_minutes_between(day, day + timedelta(days=1)) == 0


# -- DST ----------------------------------------------------------------------


def test_always_open_day_has_23_and_25_hours_in_chicago():
    calendar = BusinessCalendar.always_open("America/Chicago")
    spring = calendar.business_minutes_between(
        tp.SAT_BEFORE_SPRING_CHICAGO, tp.MON_AFTER_SPRING_CHICAGO
    )
    fall = calendar.business_minutes_between(
        tp.SAT_BEFORE_FALL_CHICAGO, tp.MON_AFTER_FALL_CHICAGO
    )
    assert (spring, fall) == (47 * 60, 49 * 60)
    due = calendar.add_business_minutes(tp.SPRING_FORWARD_CHICAGO, 23 * 60)
    assert due == tp.MON_AFTER_SPRING_CHICAGO


def test_always_open_day_has_23_and_25_hours_in_dublin():
    calendar = BusinessCalendar.always_open("Europe/Dublin")
    spring_end = tp.SPRING_FORWARD_DUBLIN.replace(day=30)
    assert calendar.business_minutes_between(tp.SPRING_FORWARD_DUBLIN, spring_end) == (
        23 * 60
    )
    assert calendar.business_minutes_between(
        tp.FALL_BACK_DUBLIN, tp.MON_AFTER_FALL_DUBLIN
    ) == (25 * 60)


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        ("America/Chicago", date(2026, 3, 8), 120),  # 01:00 CST to 04:00 CDT
        ("America/Chicago", date(2026, 11, 1), 240),  # 01:00 CDT to 04:00 CST
        ("America/Chicago", date(2026, 3, 1), 180),  # an ordinary Sunday
        ("Europe/Dublin", date(2026, 3, 29), 120),  # 01:00 GMT to 04:00 IST
        ("Europe/Dublin", date(2026, 10, 25), 240),  # 01:00 IST to 04:00 GMT
    ],
)
def test_early_shift_over_dst_change_counts_real_time(tz, day, expected):
    calendar = make_calendar(tz, every_day(("01:00", "04:00")))
    midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(tz))
    morning = datetime.combine(day, time(5), tzinfo=ZoneInfo(tz))
    assert calendar.business_minutes_between(midnight, morning) == expected


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        # Spring: 01:30 opens, and 02:00-03:00 never happens (Chicago); or
        # 01:30 is skipped and moves forward by the gap to 02:30 IST (Dublin).
        ("America/Chicago", date(2026, 3, 8), 30),
        ("Europe/Dublin", date(2026, 3, 29), 30),
        # Autumn: 01:30 happens twice and the first occurrence (summer time)
        # opens; 03:00 is in winter time.
        ("America/Chicago", date(2026, 11, 1), 150),
        ("Europe/Dublin", date(2026, 10, 25), 150),
    ],
)
def test_skipped_and_ambiguous_wall_times(tz, day, expected):
    """Dublin's negative DST in pytz must not flip the first occurrence."""
    calendar = make_calendar(tz, {"sun": [["01:30", "03:00"]]})
    midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(tz))
    used = calendar.business_minutes_between(midnight, midnight + timedelta(hours=6))
    assert used == expected


def test_skipped_opening_moves_forward_by_the_gap():
    calendar = make_calendar(hours={"sun": [["02:30", "04:00"]]})
    assert not calendar.is_open(chicago(2026, 3, 8, 3, 15))
    assert calendar.is_open(chicago(2026, 3, 8, 3, 30))
    opening = calendar.next_opening(tp.SPRING_FORWARD_CHICAGO)
    assert opening == chicago(2026, 3, 8, 3, 30)


def test_business_hours_around_dublin_fall_back():
    calendar = make_calendar("Europe/Dublin")
    friday = dublin(2026, 10, 23, 19, 30)
    assert calendar.add_business_minutes(friday, 60) == dublin(2026, 10, 26, 8, 30)


# -- Singapore: holidays on the calendar's own date ---------------------------


def test_singapore_holiday_from_country_package():
    calendar = make_calendar(
        "Asia/Singapore",
        {day: [["09:00", "18:00"]] for day in WORKDAYS},
        holiday_country="SG",
    )
    due = calendar.add_business_minutes(tp.FRI_BEFORE_NATIONAL_DAY_SG, 120)
    assert due == singapore(2026, 8, 11, 10, 0)
    assert not calendar.is_open(tp.NATIONAL_DAY_OBSERVED_UTC)
    assert BusinessCalendar.always_open("UTC").is_open(tp.NATIONAL_DAY_OBSERVED_UTC)


def test_holiday_is_read_on_local_date_not_utc():
    calendar = make_calendar(
        "Asia/Singapore", every_day(("00:00", "24:00")), holidays=["2026-12-25"]
    )
    assert not calendar.is_open(tp.CHRISTMAS_EARLY_SG_IN_UTC)
    assert calendar.is_open(tp.BOXING_DAY_EARLY_SG_IN_UTC)
    used = calendar.business_minutes_between(utc(2026, 12, 24), utc(2026, 12, 26))
    assert used == 24 * 60


def test_country_holidays_with_subdivision_in_any_year():
    calendar = make_calendar(holiday_country="US", holiday_subdivision="TX")
    assert not calendar.is_open(tp.THANKSGIVING_FRIDAY_CHICAGO)
    assert not calendar.is_open(chicago(2031, 12, 25, 12, 0))  # Thu, Christmas
    assert calendar.is_open(chicago(2031, 12, 23, 12, 0))  # Tue


# -- night shifts, split shifts, 24:00 ----------------------------------------


@pytest.fixture
def night():
    """Chicago, every day 22:00-06:00, closed on Fri 2026-12-25."""
    return make_calendar(hours=every_day(("22:00", "06:00")), holidays=["2026-12-25"])


def test_holiday_removes_after_midnight_part_of_night_shift(night):
    # Thu 22:00-24:00 counts; Fri 25th 00:00-06:00 and 22:00-24:00 do not;
    # Sat 26th 00:00-06:00, from the shift opened on the holiday, counts.
    start, end = chicago(2026, 12, 24, 21, 0), chicago(2026, 12, 26, 7, 0)
    assert night.business_minutes_between(start, end) == 8 * 60
    assert not night.is_open(chicago(2026, 12, 25, 3, 0))
    assert not night.is_open(chicago(2026, 12, 25, 23, 0))
    assert night.is_open(chicago(2026, 12, 26, 3, 0))
    due = night.add_business_minutes(chicago(2026, 12, 24, 23, 0), 90)
    assert due == chicago(2026, 12, 26, 0, 30)


def test_night_shift_over_dst_changes(night):
    fall = night.business_minutes_between(
        chicago(2026, 10, 31, 21, 0), chicago(2026, 11, 1, 7, 0)
    )
    spring = night.business_minutes_between(
        chicago(2026, 3, 7, 21, 0), chicago(2026, 3, 8, 7, 0)
    )
    assert (fall, spring) == (9 * 60, 7 * 60)


def test_night_shift_belongs_to_day_it_opens_on():
    calendar = make_calendar(hours={"fri": [["22:00", "06:00"]]})
    assert calendar.is_open(chicago(2026, 3, 7, 3, 0))  # Sat
    assert not calendar.is_open(chicago(2026, 3, 6, 3, 0))  # Fri


def test_close_at_2400_is_end_of_day():
    calendar = make_calendar(hours={"mon": [["20:00", "24:00"]]})
    assert calendar.is_open(chicago(2026, 3, 2, 23, 59))
    assert not calendar.is_open(chicago(2026, 3, 3, 0, 0))
    due = calendar.add_business_minutes(chicago(2026, 3, 2, 23, 0), 60)
    assert due == chicago(2026, 3, 9, 20, 0)


def test_split_shift():
    calendar = make_calendar(
        hours={day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in WORKDAYS}
    )
    tuesday = date(2026, 3, 3)
    at = {h: chicago(2026, 3, 3, h, m) for h, m in [(11, 0), (13, 0), (14, 0)]}
    assert calendar.add_business_minutes(chicago(2026, 3, 3, 11, 30), 60) == chicago(
        2026, 3, 3, 13, 30
    )
    assert calendar.add_business_minutes(at[11], 60) == at[13]
    assert calendar.business_minutes_between(at[11], at[14]) == 120
    assert tuesday.weekday() == 1


def test_half_open_intervals(business):
    assert business.is_open(chicago(2026, 3, 3, 8, 0))
    assert not business.is_open(chicago(2026, 3, 3, 20, 0))
    assert business.is_open(chicago(2026, 3, 3, 19, 59, 59, 999_999))


# -- pauses -------------------------------------------------------------------


def test_overlapping_pauses_count_once(business):
    start = tp.TUE_MORNING_CHICAGO
    pauses = [
        (chicago(2026, 3, 3, 10, 30), chicago(2026, 3, 3, 11, 0)),
        (utc(2026, 3, 3, 16, 45), chicago(2026, 3, 3, 11, 30)),  # 10:45 local
    ]
    noon = chicago(2026, 3, 3, 12, 0)
    assert business.business_minutes_between(start, noon, pauses) == 60
    assert business.add_business_minutes(start, 60, pauses) == noon


def test_budget_ending_at_pause_start_is_due_after_pause(business):
    start = tp.TUE_MORNING_CHICAGO
    pause = (chicago(2026, 3, 3, 10, 30), chicago(2026, 3, 3, 11, 0))
    assert business.add_business_minutes(start, 30, [pause]) == pause[1]
    assert business.add_business_minutes(start, 20, [pause]) == chicago(
        2026, 3, 3, 10, 20
    )


def test_pause_over_closed_time(business):
    pause = (chicago(2026, 3, 3, 22, 0), chicago(2026, 3, 4, 10, 0))
    due = business.add_business_minutes(tp.TUE_EVENING_CHICAGO, 60, [pause])
    assert due == chicago(2026, 3, 4, 10, 0)


def test_pause_covering_start(business):
    pause = (chicago(2026, 3, 3, 9, 0), chicago(2026, 3, 3, 10, 15))
    due = business.add_business_minutes(tp.TUE_MORNING_CHICAGO, 0, [pause])
    assert due == chicago(2026, 3, 3, 10, 15)


def test_open_ended_pause(business):
    start, noon = tp.TUE_MORNING_CHICAGO, chicago(2026, 3, 3, 12, 0)
    still_paused = [(chicago(2026, 3, 3, 11, 0), None)]
    assert business.business_minutes_between(start, noon, still_paused) == 60
    assert business.add_business_minutes(start, 90, still_paused) is None
    assert business.add_business_minutes(start, 20, still_paused) == chicago(
        2026, 3, 3, 10, 20
    )


# -- input errors -------------------------------------------------------------


def test_naive_instants_are_refused(business):
    with pytest.raises(InvalidInput, match="naive") as caught:
        business.add_business_minutes(datetime(2026, 3, 3, 10, 0), 5)  # noqa: DTZ001
    assert caught.value.field == "start"
    with pytest.raises(InvalidInput, match="end"):
        business.business_minutes_between(
            tp.TUE_MORNING_CHICAGO,
            datetime(2026, 3, 3, 11, 0),  # noqa: DTZ001
        )


@pytest.mark.parametrize("minutes", [-1, -0.5, math.nan, math.inf, "15"])
def test_bad_minutes_are_refused(business, minutes):
    with pytest.raises(InvalidInput, match="minutes"):
        business.add_business_minutes(tp.TUE_MORNING_CHICAGO, minutes)


def test_end_before_start_is_refused(business):
    with pytest.raises(InvalidInput, match="before"):
        business.business_minutes_between(tp.WED_OPEN_CHICAGO, tp.TUE_MORNING_CHICAGO)
    with pytest.raises(InvalidInput, match="before"):
        list(business.open_intervals(tp.WED_OPEN_CHICAGO, tp.TUE_MORNING_CHICAGO))


def test_reversed_pause_is_refused(business):
    pause = (tp.WED_OPEN_CHICAGO, tp.TUE_MORNING_CHICAGO)
    with pytest.raises(InvalidInput, match="pause") as caught:
        business.add_business_minutes(tp.TUE_MORNING_CHICAGO, 5, [pause])
    assert caught.value.field == "pauses[0]"


# -- spec errors --------------------------------------------------------------

MON = {"mon": [["08:00", "12:00"]]}


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"tz": "Mars/Olympus", "hours": MON}, "tz", "unknown time zone"),
        ({"hours": MON}, "tz", "missing"),
        ({"tz": "UTC", "hours": {"funday": []}}, "hours.funday", "unknown weekday"),
        ({"tz": "UTC", "hours": {"mon": [["8:00", "12:00"]]}}, "hours.mon[0]", "HH:MM"),
        ({"tz": "UTC", "hours": {"mon": [["08:00", "25:00"]]}}, "hours.mon[0]", "time"),
        ({"tz": "UTC", "hours": {"mon": [["08:60", "12:00"]]}}, "hours.mon[0]", "time"),
        ({"tz": "UTC", "hours": {"mon": [["24:00", "12:00"]]}}, "hours.mon[0]", "24"),
        ({"tz": "UTC", "hours": {"mon": [["08:00"]]}}, "hours.mon[0]", "pair"),
        ({"tz": "UTC", "hours": {"mon": "08:00-12:00"}}, "hours.mon", "list"),
        (
            {"tz": "UTC", "hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}},
            "hours.mon[1]",
            "intervals overlap 08:00-12:00",
        ),
        (
            {
                "tz": "UTC",
                "hours": {"mon": [["05:00", "09:00"]], "sun": [["22:00", "06:00"]]},
            },
            "hours.sun[0]",
            "intervals overlap 05:00-09:00",
        ),
        ({"tz": "UTC", "hours": {}}, "hours", "no open time"),
        ({"tz": "UTC", "hours": {"sat": []}}, "hours", "no open time"),
        (
            {"tz": "UTC", "hours": MON, "holidays": ["2026-12-25", "2026-13-01"]},
            "holidays[1]",
            "bad date",
        ),
        ({"tz": "UTC", "hours": MON, "holidays": "2026-12-25"}, "holidays", "list"),
        (
            {"tz": "UTC", "hours": MON, "holiday_country": "XX"},
            "holiday_country",
            "unknown country",
        ),
        (
            {
                "tz": "UTC",
                "hours": MON,
                "holiday_country": "US",
                "holiday_subdivision": "ZZ",
            },
            "holiday_subdivision",
            "unknown subdivision",
        ),
        (
            {"tz": "UTC", "hours": MON, "holiday_subdivision": "TX"},
            "holiday_subdivision",
            "holiday_country",
        ),
        ({"tz": "UTC", "hours": MON, "hollidays": []}, "hollidays", "unknown field"),
        ({"tz": "UTC", "hours": MON, "holidays": [object()]}, "spec", "JSON"),
    ],
)
def test_spec_errors_name_their_field(spec, field, words):
    with pytest.raises(CalendarSpecError) as caught:
        BusinessCalendar.from_spec(spec)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_close_equal_to_open_is_a_24_hour_shift():
    calendar = make_calendar(hours={"mon": [["08:00", "08:00"]]})
    start = chicago(2026, 3, 2, 0, 0)
    assert calendar.business_minutes_between(start, start + timedelta(days=2)) == 1440


# -- construction, caching, helpers -------------------------------------------


def test_from_spec_is_cached_per_spec():
    spec = {"tz": "UTC", "hours": MON, "holidays": ["2026-12-25"]}
    reordered = {"holidays": [date(2026, 12, 25)], "hours": MON, "tz": "UTC"}
    first = BusinessCalendar.from_spec(spec)
    assert BusinessCalendar.from_spec(reordered) is first
    assert first.spec == spec
    assert BusinessCalendar.from_spec({**spec, "tz": "Asia/Singapore"}) is not first


def test_always_open_spec():
    calendar = BusinessCalendar.always_open("Asia/Singapore")
    assert calendar.tz_name == "Asia/Singapore"
    assert calendar.spec["hours"]["sun"] == [["00:00", "24:00"]]
    assert BusinessCalendar.always_open().tz_name == "UTC"


def test_open_intervals_are_clipped_and_in_utc(business):
    friday, monday = chicago(2026, 3, 6, 19, 0), chicago(2026, 3, 9, 9, 0)
    pairs = list(business.open_intervals(friday, monday))
    assert pairs == [
        (friday, chicago(2026, 3, 6, 20, 0)),
        (chicago(2026, 3, 9, 8, 0), monday),
    ]
    assert all(moment.tzinfo is UTC for pair in pairs for moment in pair)


def test_open_intervals_join_across_midnight_and_blocks():
    calendar = BusinessCalendar.always_open("Europe/Dublin")
    start, end = utc(2026, 1, 1), utc(2027, 1, 1)
    assert list(calendar.open_intervals(start, end)) == [(start, end)]
    assert list(calendar.open_intervals(start, start)) == []


def test_next_opening(business):
    assert business.next_opening(tp.TUE_NIGHT_CHICAGO) == tp.WED_OPEN_CHICAGO
    assert business.next_opening(tp.TUE_MORNING_CHICAGO) == tp.TUE_MORNING_CHICAGO
    assert business.next_opening(tp.CHRISTMAS_CHICAGO) == chicago(2026, 12, 28, 8, 0)


def test_far_dates_and_long_durations(business):
    start = chicago(2026, 1, 5, 8, 0)  # Mon
    year_of_minutes = 52 * 5 * 720
    due = business.add_business_minutes(start, year_of_minutes)
    assert business.business_minutes_between(start, due) == year_of_minutes
    assert make_calendar().add_business_minutes(
        chicago(1999, 12, 31, 19, 0), 120
    ) == chicago(2000, 1, 3, 9, 0)


# -- properties against a minute-by-minute reference ---------------------------
#
# The reference builds a per-minute timeline of one window from the spec
# alone, converting wall times with zoneinfo (fold=0: an ambiguous time is
# its first occurrence, a skipped one moves forward by the gap), then walks
# it minute by minute. It shares no code with the implementation.

ZONES = ["America/Chicago", "Europe/Dublin", "Asia/Singapore", "UTC"]
# Thursdays before the 2026 DST changes of Chicago and Dublin (the window's
# first days are drawn most often), and quiet weeks.
DST_WEEKS = [
    ("America/Chicago", date(2026, 3, 5)),
    ("America/Chicago", date(2026, 10, 29)),
    ("Europe/Dublin", date(2026, 3, 26)),
    ("Europe/Dublin", date(2026, 10, 22)),
]
QUIET_DAYS = [date(2026, 6, 4), date(2026, 8, 6)]
WINDOW_DAYS = 35
PROPERTY_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def format_minute(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def calendar_specs(draw):
    """Random specs: 0-2 intervals a day, night shifts, 0-3 holidays.

    Openings lean towards 00:30-03:00, the hours DST changes skip or repeat.
    """
    tz, base = draw(
        st.sampled_from(DST_WEEKS)
        | st.tuples(st.sampled_from(ZONES), st.sampled_from(QUIET_DAYS))
    )
    hours = {}
    for day in WEEKDAYS:
        intervals = []
        for _ in range(draw(st.integers(0, 2))):
            opening = draw(st.integers(0, 95) | st.integers(2, 12)) * 15
            length = draw(st.integers(1, 64)) * 15
            interval = [
                format_minute(opening),
                format_minute((opening + length) % 1440),
            ]
            candidate = {**hours, day: [*intervals, interval]}
            try:
                BusinessCalendar.from_spec({"tz": tz, "hours": candidate})
            except CalendarSpecError:
                continue
            intervals.append(interval)
        if intervals:
            hours[day] = intervals
    assume(hours)
    holiday_days = draw(st.lists(st.integers(0, WINDOW_DAYS - 1), max_size=3))
    holidays = sorted({(base + timedelta(days=n)).isoformat() for n in holiday_days})
    return {"tz": tz, "hours": hours, "holidays": holidays}, base


class ReferenceTimeline:
    """Open minutes of ``WINDOW_DAYS`` local days from ``base``, walked slowly."""

    def __init__(self, spec, base):
        self.zone = ZoneInfo(spec["tz"])
        self.origin = self.instant(base, 0)
        size = self.index(self.instant(base + timedelta(days=WINDOW_DAYS), 0))
        self.open = [False] * size
        for n in range(-1, WINDOW_DAYS):
            day = base + timedelta(days=n)
            for opening, closing in spec["hours"].get(WEEKDAYS[day.weekday()], []):
                first, last = self.minutes(opening), self.minutes(closing)
                if last <= first:
                    last += 1440
                self.mark(self.instant(day, first), self.instant(day, last), True)
        for text in spec["holidays"]:
            day = date.fromisoformat(text)
            self.mark(self.instant(day, 0), self.instant(day, 1440), False)

    @staticmethod
    def minutes(text):
        hours, minutes = text.split(":")
        return int(hours) * 60 + int(minutes)

    def instant(self, day, minutes):
        wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def index(self, moment):
        return int((moment - self.origin) // timedelta(minutes=1))

    def moment(self, index):
        return self.origin + timedelta(minutes=index)

    def mark(self, start, end, value):
        first = max(self.index(start), 0)
        last = min(self.index(end), len(self.open))
        if first < last:
            self.open[first:last] = [value] * (last - first)

    def add(self, start, minutes, paused=frozenset()):
        """Return the first counting minute once ``minutes`` are used."""
        used = 0
        for index in range(self.index(start), len(self.open)):
            if self.open[index] and index not in paused:
                if used == minutes:
                    return self.moment(index)
                used += 1
        return None

    def between(self, start, end, paused=frozenset()):
        indexes = range(self.index(start), self.index(end))
        return sum(1 for i in indexes if self.open[i] and i not in paused)


def window_instants(base):
    """Minute-aligned UTC instants from the second to the 26th window day.

    The window opens at local midnight of ``base``, which in any zone lies
    before UTC midnight of the next day.
    """
    origin = datetime.combine(base + timedelta(days=1), time(), tzinfo=UTC)
    minutes = st.integers(0, 4 * 1440) | st.integers(0, 25 * 1440)
    return minutes.map(lambda n: origin + timedelta(minutes=n))


@PROPERTY_SETTINGS
@given(data=st.data(), drawn=calendar_specs())
def test_add_and_between_agree_with_minute_walk(data, drawn):
    spec, base = drawn
    calendar = BusinessCalendar.from_spec(spec)
    reference = ReferenceTimeline(spec, base)
    start = data.draw(window_instants(base))
    minutes = data.draw(st.integers(0, 3000))
    expected = reference.add(start, minutes)
    assume(expected is not None)

    assert calendar.add_business_minutes(start, minutes) == expected
    end = data.draw(window_instants(base).filter(lambda end: end >= start))
    assert calendar.business_minutes_between(start, end) == reference.between(
        start, end
    )
    assert calendar.is_open(start) == reference.open[reference.index(start)]


@PROPERTY_SETTINGS
@given(data=st.data(), drawn=calendar_specs())
def test_pauses_agree_with_minute_walk(data, drawn):
    spec, base = drawn
    calendar = BusinessCalendar.from_spec(spec)
    reference = ReferenceTimeline(spec, base)
    start = data.draw(window_instants(base))
    pauses, paused = [], set()
    for _ in range(data.draw(st.integers(0, 3))):
        pause_start = data.draw(window_instants(base))
        length = data.draw(st.integers(0, 3 * 1440))
        pauses.append((pause_start, pause_start + timedelta(minutes=length)))
        first = reference.index(pause_start)
        paused.update(range(first, first + length))
    minutes = data.draw(st.integers(0, 2000))
    expected = reference.add(start, minutes, paused)
    assume(expected is not None)

    assert calendar.add_business_minutes(start, minutes, pauses) == expected
    end = data.draw(window_instants(base).filter(lambda end: end >= start))
    assert calendar.business_minutes_between(start, end, pauses) == (
        reference.between(start, end, paused)
    )


@PROPERTY_SETTINGS
@given(
    drawn=calendar_specs(),
    offset=st.integers(0, 25 * 86_400 * 1_000_000),
    minutes=st.floats(0, 20_000, allow_nan=False),
    more=st.floats(0, 5_000, allow_nan=False),
)
def test_round_trip_and_monotonic(drawn, offset, minutes, more):
    spec, base = drawn
    calendar = BusinessCalendar.from_spec(spec)
    start = datetime.combine(base, time(), tzinfo=UTC) + timedelta(microseconds=offset)
    due = calendar.add_business_minutes(start, minutes)
    later = calendar.add_business_minutes(start, minutes + more)

    one_microsecond = 1 / 60_000_000
    assert calendar.business_minutes_between(start, due) == pytest.approx(
        minutes, abs=one_microsecond
    )
    assert start <= due <= later
    assert calendar.is_open(due)


# -- the compiled elapsed-time path --------------------------------------------


def test_compiled_path_is_built_and_agrees_on_block_layout():
    """The install compiles ``_elapsed.c``; its block numbering is ours."""
    from slaengine import _elapsed, calendars

    assert _elapsed.DAYS_PER_BLOCK == calendars._DAYS_PER_BLOCK
    assert _elapsed.FIRST_BLOCK_DAY == calendars._EPOCH_DAY


def test_compiled_path_declines_what_the_general_path_must_answer(business):
    from slaengine._elapsed import minutes_in_block

    start = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    end = start + timedelta(hours=3)
    blocks = business._blocks
    business.business_minutes_between(start, end)  # materialises the block

    assert minutes_in_block(blocks, start, end) == 180.0
    assert minutes_in_block(blocks, end, start) is None
    assert (
        minutes_in_block(blocks, start.astimezone(ZoneInfo("America/Chicago")), end)
        is None
    )
    assert minutes_in_block(blocks, start, end.replace(tzinfo=None)) is None
    assert minutes_in_block({}, start, end) is None
    assert minutes_in_block(blocks, start, end + timedelta(days=200)) is None


class LaterDatetime(datetime):
    """A datetime subclass, which the compiled path leaves alone."""


def test_datetime_subclass_and_other_zones_take_the_general_path(business):
    start = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    end = start + timedelta(hours=3)
    expected = business.business_minutes_between(start, end)

    subclassed = LaterDatetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    assert business.business_minutes_between(subclassed, end) == expected
    assert (
        business.business_minutes_between(
            start.astimezone(ZoneInfo("Europe/Dublin")), end
        )
        == 180
    )


@PROPERTY_SETTINGS
@given(
    drawn=calendar_specs(),
    offset=st.integers(0, 25 * 86_400 * 1_000_000),
    length=st.integers(0, 30 * 86_400 * 1_000_000),
)
def test_compiled_and_general_paths_give_identical_minutes(drawn, offset, length):
    """UTC datetimes go through ``_elapsed.c`` once their block exists; the
    same instants in another zone take the general path. Not one bit may
    differ."""
    spec, base = drawn
    calendar = BusinessCalendar.from_spec(spec)
    start = datetime.combine(base, time(), tzinfo=UTC) + timedelta(microseconds=offset)
    end = start + timedelta(microseconds=length)

    elsewhere = ZoneInfo("Asia/Singapore")
    general = calendar.business_minutes_between(
        start.astimezone(elsewhere), end.astimezone(elsewhere)
    )
    compiled = calendar.business_minutes_between(start, end)

    assert compiled == general
    assert math.copysign(1, compiled) == 1
