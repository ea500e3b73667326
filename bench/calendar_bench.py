"""Time and check BusinessCalendar against other business-time libraries.

Run from the project root::

    .venv/bin/python bench/calendar_bench.py [--starts 10000] [--seed 2026]

Two calendars in America/Chicago: "business" (Mon-Fri 08:00-20:00, US
federal holidays) and "night" (every day 22:00-06:00, same holidays). The
same seeded starts (uniform over 2025-2026, plus holidays, DST-change days,
the minute around opening and closing, and Friday evenings) go to every
library for 15, 60, 240, 480 and 7,200 minutes.

Every answer is checked against an independent truth: a per-minute table
of open minutes built from wall-clock rules with :mod:`zoneinfo` (not
pytz, not our code). A peer answering the closing instant where the truth
is the next opening follows another convention and is counted apart, not
as an error. Timings are the median of several repeats; peers are timed on
a subset of the starts, since they are slow.
"""

import argparse
import itertools
import random
import statistics
import sys
import time as timer
import warnings
from bisect import bisect_left
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holidays_lib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slaengine.calendars import BusinessCalendar  # noqa: E402

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
DURATIONS = (15, 60, 240, 480, 7200)
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 12, 31)
DST_DAYS = (date(2025, 3, 9), date(2025, 11, 2), date(2026, 3, 8), date(2026, 11, 1))
HOLIDAYS = sorted(holidays_lib.US(years=range(2024, 2028)))  # observed days too
CALENDARS = {
    "business": {"open": time(8), "close": time(20), "days": (0, 1, 2, 3, 4)},
    "night": {"open": time(22), "close": time(6), "days": tuple(range(7))},
}
TRUTH_START = datetime(2024, 12, 30, tzinfo=UTC)
TRUTH_MINUTES = 60 * 24 * (365 * 2 + 120)


# -- inputs ------------------------------------------------------------------


def make_starts(count, seed):
    """Return ``count`` minute-aligned aware UTC starts of mixed kinds."""
    rng = random.Random(seed)
    span = (LAST_DAY - FIRST_DAY).days + 1
    in_range = [d for d in HOLIDAYS if FIRST_DAY <= d <= LAST_DAY]
    edges = [time(8), time(20), time(22), time(6)]

    def local(day, minute):
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        return wall.replace(tzinfo=ZONE).astimezone(UTC)

    starts = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
            starts.append(local(day, rng.randrange(1440)))
        elif kind < 0.6:
            starts.append(local(rng.choice(in_range), rng.randrange(1440)))
        elif kind < 0.75:
            starts.append(local(rng.choice(DST_DAYS), rng.randrange(1440)))
        elif kind < 0.9:
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
            edge = rng.choice(edges)
            minute = edge.hour * 60 + rng.choice((-1, 0, 1))
            starts.append(local(day, minute))
        else:
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
            friday = day + timedelta(days=(4 - day.weekday()) % 7)
            starts.append(local(friday, 17 * 60 + rng.randrange(7 * 60)))
    return starts


# -- the truth: a minute table from wall-clock rules -----------------------------


class MinuteTruth:
    """Open minutes of a calendar from ``TRUTH_START``, from zoneinfo wall time.

    A minute is open when its local date is not a holiday and its local wall
    time lies in the day's interval, or in the after-midnight part of the
    night shift opened the day before.
    """

    def __init__(self, rules):
        holidays = set(HOLIDAYS)
        opening, closing = rules["open"], rules["close"]
        is_open = bytearray(TRUTH_MINUTES)
        for i in range(TRUTH_MINUTES):
            local = (TRUTH_START + timedelta(minutes=i)).astimezone(ZONE)
            wall = local.time()
            if local.date() in holidays:
                continue
            if opening < closing:
                is_open[i] = local.weekday() in rules["days"] and (
                    opening <= wall < closing
                )
            else:
                yesterday = (local.weekday() - 1) % 7
                is_open[i] = (local.weekday() in rules["days"] and wall >= opening) or (
                    yesterday in rules["days"] and wall < closing
                )
        self.is_open = is_open
        self.used = list(itertools.accumulate(is_open, initial=0))

    def index(self, moment):
        return (moment - TRUTH_START) // timedelta(minutes=1)

    def add(self, start, minutes):
        target = self.used[self.index(start)] + minutes
        due = bisect_left(self.used, target + 1) - 1
        return TRUTH_START + timedelta(minutes=due)

    def between(self, start, end):
        return self.used[self.index(end)] - self.used[self.index(start)]

    def is_closing(self, moment):
        i = self.index(moment)
        return self.is_open[i - 1] and not self.is_open[i]


# -- the libraries ------------------------------------------------------------------


def make_ours(name, rules):
    hours = [[rules["open"].strftime("%H:%M"), rules["close"].strftime("%H:%M")]]
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    spec = {
        "tz": TZ,
        "hours": {days[d]: hours for d in rules["days"]},
        "holidays": [d.isoformat() for d in HOLIDAYS],
    }
    calendar = BusinessCalendar.from_spec(spec)
    return calendar.add_business_minutes, calendar.business_minutes_between


def make_pandas(name, rules):
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessHour

    weekmask = " ".join(
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d] for d in rules["days"]
    )
    offsets = {}

    def offset(n):
        if n not in offsets:
            offsets[n] = CustomBusinessHour(
                n=n,
                start=rules["open"].strftime("%H:%M"),
                end=rules["close"].strftime("%H:%M"),
                weekmask=weekmask,
                holidays=HOLIDAYS,
            )
        return offsets[n]

    one_hour = pd.Timedelta(hours=1)

    def add(start, minutes):
        """Whole hours with CustomBusinessHour, the remainder by hand."""
        hours, rest = divmod(minutes, 60)
        moment = pd.Timestamp(start).tz_convert(TZ)
        moment = moment + offset(hours) if hours else offset(1).rollforward(moment)
        if rest:
            candidate = moment + pd.Timedelta(minutes=rest)
            if (
                not offset(1).is_on_offset(candidate)
                or candidate.time() == rules["close"]
            ):
                closing = offset(1).rollback(candidate)
                candidate = closing + offset(1) - one_hour + (candidate - closing)
            moment = candidate
        return moment.to_pydatetime().astimezone(UTC)

    return add, None


def make_businesstimedelta(name, rules):
    import businesstimedelta as btd
    import pytz

    tz = pytz.timezone(TZ)
    workday = btd.WorkDayRule(
        start_time=rules["open"],
        end_time=rules["close"],
        working_days=list(rules["days"]),
        tz=tz,
    )
    rule = btd.Rules([workday, btd.HolidayRule(HOLIDAYS, tz=tz)])

    def add(start, minutes):
        return (start + btd.BusinessTimeDelta(rule, seconds=minutes * 60)).astimezone(
            UTC
        )

    def between(start, end):
        delta = rule.difference(start, end)
        return delta.timedelta.total_seconds() / 60

    return add, between


def make_business_duration(name, rules):
    if rules["open"] > rules["close"]:
        return None, None
    from business_duration import businessDuration

    weekend = [d for d in range(7) if d not in rules["days"]]

    def between(start, end):
        local_start = start.astimezone(ZONE).replace(tzinfo=None)
        local_end = end.astimezone(ZONE).replace(tzinfo=None)
        return businessDuration(
            local_start,
            local_end,
            starttime=rules["open"],
            endtime=rules["close"],
            weekendlist=weekend,
            holidaylist=dict.fromkeys(HOLIDAYS, "holiday"),
            unit="min",
        )

    return None, between


def make_businesstime(name, rules):
    if rules["open"] > rules["close"]:
        return None, None
    from businesstime import BusinessTime

    weekend = tuple(d for d in range(7) if d not in rules["days"])
    calendar = BusinessTime(
        business_hours=(rules["open"], rules["close"]),
        weekends=weekend,
        holidays=HOLIDAYS,
    )

    def between(start, end):
        local_start = start.astimezone(ZONE).replace(tzinfo=None)
        local_end = end.astimezone(ZONE).replace(tzinfo=None)
        return calendar.businesstimedelta(local_start, local_end).total_seconds() / 60

    return None, between


LIBRARIES = {
    "ours": make_ours,
    "pandas": make_pandas,
    "businesstimedelta": make_businesstimedelta,
    "business_duration": make_business_duration,
    "businesstime": make_businesstime,
}


# -- checking and timing ---------------------------------------------------


def classify(truth, start, due, answer, night):
    """Name what kind of disagreement ``answer`` is, or None if it is right."""
    if answer == due:
        return None
    if answer == "raised":
        return "raised an error"
    if truth.is_closing(answer) and truth.between(answer, due) == 0:
        return "closing instead of next opening (convention)"
    local = [moment.astimezone(ZONE) for moment in (start, due)]
    if local[0].utcoffset() != local[1].utcoffset() or local[0].date() in DST_DAYS:
        return "wrong across a DST change"
    if any(local[0].date() <= day <= local[1].date() for day in HOLIDAYS):
        return "wrong around a holiday"
    return "wrong across midnight (night shift)" if night else "wrong"


def call(function, *args):
    try:
        return function(*args)
    except Exception:  # a peer's failure is a result to report, not a crash
        return "raised"


def measure(function, pairs, repeats, guard):
    """Return the median operations per second of ``function`` over ``pairs``.

    With ``guard``, each call is wrapped so that a peer's exception counts
    as an (already reported) answer instead of stopping the run.
    """
    if guard:
        unguarded = function

        def function(first, second):
            return call(unguarded, first, second)

    rates = []
    for _ in range(repeats):
        began = timer.perf_counter()
        for first, second in pairs:
            function(first, second)
        rates.append(len(pairs) / (timer.perf_counter() - began))
    return statistics.median(rates)


def run(starts, peer_starts, repeats):
    errors = {}
    rates = {}
    for name, rules in CALENDARS.items():
        truth = MinuteTruth(rules)
        made = {lib: make(name, rules) for lib, make in LIBRARIES.items()}
        for minutes in DURATIONS:
            dues = [truth.add(start, minutes) for start in starts]
            for lib, (add, between) in made.items():
                ours = lib == "ours"
                timed = starts if ours else peer_starts
                if add is not None:
                    kinds = Counter(
                        classify(truth, s, due, call(add, s, minutes), name == "night")
                        for s, due in zip(starts, dues, strict=True)
                    )
                    errors[name, "add", minutes, lib] = kinds
                    pairs = [(s, minutes) for s in timed]
                    rates[name, "add", minutes, lib] = measure(
                        add, pairs, repeats if ours else 3, not ours
                    )
                if between is not None:
                    kinds = Counter()
                    for s, due in zip(starts, dues, strict=True):
                        answer = call(between, s, due)
                        right = truth.between(s, due)
                        if answer == "raised":
                            kinds["raised an error"] += 1
                        elif abs(answer - right) > 1e-6:
                            local = s.astimezone(ZONE), due.astimezone(ZONE)
                            dst = local[0].utcoffset() != local[1].utcoffset()
                            kind = "wrong across a DST change" if dst else "wrong"
                            if not dst and name == "night":
                                kind = "wrong across midnight (night shift)"
                            kinds[kind] += 1
                        else:
                            kinds[None] += 1
                    errors[name, "between", minutes, lib] = kinds
                    dues_of = dict(zip(starts, dues, strict=True))
                    pairs = [(s, dues_of[s]) for s in timed]
                    rates[name, "between", minutes, lib] = measure(
                        between, pairs, repeats if ours else 3, not ours
                    )
    return errors, rates


def report(errors, rates, count):
    print(f"\n{count} starts per duration; ops/s = median of repeats\n")
    for name in CALENDARS:
        for operation in ("add", "between"):
            print(f"== {name} calendar, {operation} ==")
            header = f"{'library':<20}" + "".join(f"{m:>12}" for m in DURATIONS)
            print(header)
            for lib in LIBRARIES:
                row = [rates.get((name, operation, m, lib)) for m in DURATIONS]
                cells = "".join(f"{r:>12,.0f}" if r else f"{'n/a':>12}" for r in row)
                print(f"{lib:<20}{cells}")
            for lib in LIBRARIES:
                if (
                    lib == "ours"
                    or rates.get((name, operation, DURATIONS[0], lib)) is None
                ):
                    continue
                ups = [
                    rates[name, operation, m, "ours"] / rates[name, operation, m, lib]
                    for m in DURATIONS
                ]
                cells = "".join(f"{u:>11,.0f}x" for u in ups)
                print(f"{'ours vs ' + lib:<20}{cells}")
            for lib in LIBRARIES:
                for m in DURATIONS:
                    kinds = errors.get((name, operation, m, lib))
                    if kinds is None:
                        continue
                    wrong = {k: v for k, v in kinds.items() if k}
                    if wrong:
                        text = "; ".join(f"{k}: {v}" for k, v in sorted(wrong.items()))
                        print(f"  {lib} {m} min: {text}")
            print()
    ours_wrong = sum(
        count
        for (_, _, _, lib), kinds in errors.items()
        if lib == "ours"
        for kind, count in kinds.items()
        if kind
    )
    print(f"wrong answers of ours: {ours_wrong}")
    return ours_wrong


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10_000)
    parser.add_argument("--peer-starts", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    starts = make_starts(args.starts, args.seed)
    errors, rates = run(starts, starts[: args.peer_starts], args.repeats)
    return 1 if report(errors, rates, args.starts) else 0


if __name__ == "__main__":
    sys.exit(main())
