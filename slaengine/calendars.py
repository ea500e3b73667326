"""Business calendars: open hours in a local zone, holidays, business time.

A :class:`BusinessCalendar` answers the two questions every SLA timer asks:
"when is this much business time used up?" (:meth:`~BusinessCalendar.
add_business_minutes`) and "how much business time lies between these two
instants?" (:meth:`~BusinessCalendar.business_minutes_between`).

The conventions, settled in ``docs/calendars.md``:

* open intervals are half-open, ``[open, close)``, in the calendar's wall
  clock; ``"24:00"`` closes at the end of the day; an interval whose close
  is at or before its open runs past midnight and belongs to the weekday on
  which it opens;
* a holiday removes its whole local date, 00:00-24:00 in the calendar's
  zone, whichever shift that time belongs to;
* an ambiguous wall time is its first occurrence, a skipped one moves
  forward by the gap;
* business time is real elapsed time inside open intervals;
* when a budget runs out exactly at a closing time, the due instant is the
  next opening.

How it stays fast: open time is materialised lazily in blocks of 91 whole
UTC days as sorted instants (integer microseconds since the epoch) with
prefix sums of open time, so each question costs a dictionary look-up and
one or two bisections per block, whatever the duration. Elapsed time
between two UTC datetimes of one materialised block is answered by
``slaengine/_elapsed.c``, which reads the datetimes' fields directly; the
general path below answers everything else, and everything when the
extension was not compiled.
"""

import json
import math
import numbers
import re
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays as holidays_lib
import pytz

from slaengine.errors import ConfigError, InvalidInput

try:
    from slaengine._elapsed import minutes_in_block as _minutes_in_block
except ImportError:  # installed without a C compiler: the general path answers

    def _minutes_in_block(blocks: object, start: object, end: object) -> None:
        return None


__all__ = ["BusinessCalendar", "CalendarSpecError"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND
_SECONDS_PER_DAY = 86_400

# Blocks of whole UTC days, numbered from Monday 1970-01-05. A quarter of a
# year keeps the first look-up cheap and makes a typical SLA (up to a few
# business weeks) cross at most one block boundary.
_DAYS_PER_BLOCK = 91
_FIRST_MONDAY = date(1970, 1, 5)
_EPOCH_DAY = (_FIRST_MONDAY - date(1970, 1, 1)).days
_MAX_CACHED_BLOCKS = 64
# A calendar with open time every week finds the next opening within a few
# blocks; this bound only stops a runaway search on a pathological calendar.
_MAX_EMPTY_BLOCKS = 400
# Stands for "never ends" in microseconds: far beyond any real instant.
_OPEN_ENDED = 2**62

_TIME_PATTERN = re.compile(r"(\d\d):(\d\d)")
_SPEC_FIELDS = frozenset(
    {"tz", "hours", "holidays", "holiday_country", "holiday_subdivision"}
)


class CalendarSpecError(ConfigError):
    """A calendar spec that cannot be used; the message names the field.

    :param field: the offending field in dotted form, e.g. ``hours.mon[1]``.
    :param problem: what is wrong with it.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class _Block:
    """Open time of 91 whole UTC days, as sorted instants with prefix sums.

    ``opens[i]``/``closes[i]`` bound the i-th open interval in microseconds
    since the epoch (disjoint, not touching, clipped to ``[start, end)``);
    ``used[i]`` is the open time before ``opens[i]`` within the block,
    ``total`` all of it. ``packed`` holds the same numbers as native 64-bit
    integers for the compiled elapsed-time path: start, end, the number of
    intervals, then the opens, the closes and the used times.
    """

    __slots__ = ("index", "start", "end", "opens", "closes", "used", "total", "packed")

    def __init__(
        self,
        index: int,
        start: int,
        end: int,
        intervals: list[tuple[int, int]],
    ) -> None:
        self.index = index
        self.start = start
        self.end = end
        self.opens = [opening for opening, _ in intervals]
        self.closes = [closing for _, closing in intervals]
        self.used = []
        total = 0
        for opening, closing in intervals:
            self.used.append(total)
            total += closing - opening
        self.total = total
        numbers = [start, end, len(intervals), *self.opens, *self.closes, *self.used]
        self.packed = array("q", numbers).tobytes()

    def used_before(self, at: int) -> int:
        """Return the open microseconds in this block before ``at``."""
        i = bisect_right(self.opens, at) - 1
        if i < 0:
            return 0
        closing = self.closes[i]
        return self.used[i] + (at if at < closing else closing) - self.opens[i]


class BusinessCalendar:
    """Open hours of one support center in its own zone, minus holidays.

    Build one with :meth:`from_spec` or :meth:`always_open`; instances are
    shared through a cache and must be treated as immutable.

    :ivar tz_name: the IANA zone of the wall clock, e.g. ``America/Chicago``.
    """

    def __init__(
        self,
        *,
        tz_name: str,
        hours: tuple[tuple[tuple[int, int], ...], ...],
        holiday_dates: frozenset[date],
        holiday_country: str | None,
        holiday_subdivision: str | None,
        spec: dict[str, Any],
    ) -> None:
        self.tz_name = tz_name
        self._tz = pytz.timezone(tz_name)
        self._hours = hours
        self._holiday_dates = holiday_dates
        self._holiday_country = holiday_country
        self._holiday_subdivision = holiday_subdivision
        self._spec_json = json.dumps(spec, sort_keys=True)
        self._country_dates: dict[int, frozenset[date]] = {}
        self._blocks: dict[int, _Block] = {}
        # The block of the latest question: consecutive questions about one
        # ticket or one sweep mostly fall in the same quarter.
        self._recent = _Block(0, 0, 0, [])
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.tz_name} {self._spec_json}>"

    # -- construction ---------------------------------------------------

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> "BusinessCalendar":
        """Return the calendar a spec describes, shared per identical spec.

        :param spec: ``{"tz": ..., "hours": {"mon": [["08:00", "20:00"]],
            ...}, "holidays": ["2026-12-25", ...], "holiday_country": "US",
            "holiday_subdivision": "TX"}``; only ``tz`` and ``hours`` are
            required. Days missing from ``hours`` are closed.
        :returns: a calendar; equal specs give the same instance.
        :raises CalendarSpecError: (a :class:`~slaengine.errors.ConfigError`)
            naming the field at fault.

        Limitations: country holidays are those the ``holidays`` package
        knows for the country and subdivision, observed days included; they
        are looked up per year when first needed, so a package upgrade
        takes effect only in a new process.
        """
        if not isinstance(spec, Mapping):
            raise CalendarSpecError("spec", "must be a mapping")
        try:
            key = json.dumps(spec, sort_keys=True, default=_encode_date)
        except (TypeError, ValueError) as exc:
            raise CalendarSpecError("spec", f"cannot be read as JSON ({exc})") from None
        return _build_calendar(key)

    @classmethod
    def always_open(cls, tz: str = "UTC") -> "BusinessCalendar":
        """Return the 24x7 calendar of zone ``tz``, without holidays.

        Limitations: the zone still matters on DST days, which have 23 or 25
        business hours, since business time is real elapsed time.
        """
        hours = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
        return cls.from_spec({"tz": tz, "hours": hours})

    @property
    def spec(self) -> dict[str, Any]:
        """Return a fresh copy of the canonical spec of this calendar."""
        return json.loads(self._spec_json)

    # -- public arithmetic ------------------------------------------------

    def add_business_minutes(
        self,
        start: datetime,
        minutes: float,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> datetime | None:
        """Return the due instant after ``minutes`` of business time.

        :param start: an aware instant in any zone.
        :param minutes: business minutes to spend, ``>= 0``; fractions are
            kept to the microsecond.
        :param pauses: ``(from, to)`` aware instants whose business time
            does not count, in any order, overlaps allowed; ``to=None``
            means the pause has not ended yet.
        :returns: the latest aware UTC instant at which the business time
            used since ``start`` equals ``minutes``: always an open instant,
            so a budget that runs out exactly at a closing time is due at
            the next opening, and ``0`` minutes give the first business
            instant at or after ``start``. ``None`` when an open-ended pause
            starts before the budget is spent (a paused timer has no due
            instant).
        :raises InvalidInput: for naive instants, negative or non-finite
            minutes, or a pause that ends before it starts.

        Limitations: a pause behaves like closed time, so a budget that
        runs out exactly when a pause starts is due at the first business
        instant after the pause. Microseconds are the resolution.
        """
        # Fast paths for the common inputs (UTC instants, whole minutes, no
        # pauses) keep a call near a microsecond; the helpers do the rest.
        if start.__class__ is datetime and start.tzinfo is UTC:
            at = round(start.timestamp() * _US_PER_SECOND)
        else:
            at = _to_us(start, "start")
        if minutes.__class__ is int and minutes >= 0:
            budget = minutes * _US_PER_MINUTE
        else:
            budget = _minutes_to_us(minutes)
        if not pauses:
            return _EPOCH + timedelta(0, 0, self._add(at, budget))
        return self._add_with_pauses(at, budget, pauses)

    def _add_with_pauses(
        self, at: int, budget: int, pauses: Iterable[tuple[datetime, datetime | None]]
    ) -> datetime | None:
        for pause_start, pause_end in _merge_pauses(pauses):
            if pause_end <= at:
                continue
            due = self._add(at, budget)
            if due < pause_start:
                return _from_us(due)
            budget -= self._between(at, max(at, pause_start))
            if pause_end == _OPEN_ENDED:
                return None
            at = pause_end
        return _from_us(self._add(at, budget))

    def business_minutes_between(
        self,
        start: datetime,
        end: datetime,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> float:
        """Return the business minutes in ``[start, end)``, minus pauses.

        :param start: an aware instant in any zone.
        :param end: an aware instant, not before ``start``.
        :param pauses: ``(from, to)`` aware instants whose business time
            does not count; overlapping pauses are counted once, and
            ``to=None`` means "still paused", up to ``end``.
        :returns: minutes as a float, with seconds and microseconds kept.
        :raises InvalidInput: for naive instants, ``end`` before ``start``
            or a pause that ends before it starts.

        Limitations: on a DST change day the open intervals count the real
        time elapsed, so 08:00-20:00 across a skipped hour is 11 hours.
        """
        # The common question (UTC datetimes within one block, no pauses)
        # has a compiled answer; None sends it down the general path.
        if not pauses:
            minutes = _minutes_in_block(self._blocks, start, end)
            if minutes is not None:
                return minutes
        if start.__class__ is datetime and start.tzinfo is UTC:
            start_us = round(start.timestamp() * _US_PER_SECOND)
        else:
            start_us = _to_us(start, "start")
        if end.__class__ is datetime and end.tzinfo is UTC:
            end_us = round(end.timestamp() * _US_PER_SECOND)
        else:
            end_us = _to_us(end, "end")
        if end_us < start_us:
            raise InvalidInput("end is before start", field="end")
        used = self._between(start_us, end_us)
        for pause_start, pause_end in _merge_pauses(pauses):
            lower = max(pause_start, start_us)
            upper = min(pause_end, end_us)
            if lower < upper:
                used -= self._between(lower, upper)
        return _minutes(used)

    def is_open(self, at: datetime) -> bool:
        """Return whether ``at`` is business time on this calendar.

        Limitations: an instant in a skipped or repeated wall-clock hour is
        judged by the instants the open intervals map to, see the module
        conventions.
        """
        at_us = _to_us(at, "at")
        block = self._block_at(at_us)
        i = bisect_right(block.opens, at_us) - 1
        return i >= 0 and at_us < block.closes[i]

    def next_opening(self, at: datetime) -> datetime:
        """Return the first business instant at or after ``at``, in UTC.

        Limitations: holidays and DST follow the module conventions; ``at``
        itself is returned when it is already business time.
        """
        return _from_us(self._add(_to_us(at, "at"), 0))

    def open_intervals(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """Yield the open ``(open, close)`` UTC pairs met in ``[start, end)``.

        Pairs are clipped to ``[start, end)``, in order and disjoint; open
        time that runs on across midnight or a week boundary is one pair.

        :raises InvalidInput: for naive instants or ``end`` before ``start``.

        Limitations: on DST days pairs are real instants, so a local
        08:00-20:00 lasts 11 or 13 hours.
        """
        start_us = _to_us(start, "start")
        end_us = _to_us(end, "end")
        if end_us < start_us:
            raise InvalidInput("end is before start", field="end")
        return self._iter_open_intervals(start_us, end_us)

    # -- arithmetic on UTC microseconds -----------------------------------

    def _iter_open_intervals(
        self, start_us: int, end_us: int
    ) -> Iterator[tuple[datetime, datetime]]:
        pending: tuple[int, int] | None = None
        block = self._block_at(start_us)
        while block.start < end_us:
            first = bisect_right(block.closes, start_us)
            for i in range(first, len(block.opens)):
                opening = max(block.opens[i], start_us)
                closing = min(block.closes[i], end_us)
                if opening >= end_us:
                    break
                if pending and pending[1] == opening:
                    pending = (pending[0], closing)
                    continue
                if pending:
                    yield _from_us(pending[0]), _from_us(pending[1])
                pending = (opening, closing)
            block = self._block(block.index + 1)
        if pending:
            yield _from_us(pending[0]), _from_us(pending[1])

    def _add(self, at: int, budget: int) -> int:
        block = self._recent
        if at < block.start or at >= block.end:
            block = self._recent = self._block_at(at)
        i = bisect_right(block.closes, at)
        if i < len(block.opens):
            opening = block.opens[i]
            target = block.used[i] + budget + (at - opening if at > opening else 0)
        else:
            target = block.total + budget
        hops = 0
        while target >= block.total:
            target -= block.total
            block = self._block(block.index + 1)
            hops += 1
            if hops > _MAX_EMPTY_BLOCKS and block.total == 0:
                raise ConfigError(f"calendar {self.tz_name} has no open time ahead")
        j = bisect_right(block.used, target) - 1
        return block.opens[j] + target - block.used[j]

    def _between(self, start: int, end: int) -> int:
        first = self._recent
        if start < first.start or start >= first.end:
            first = self._recent = self._block_at(start)
        if end < first.end:
            return first.used_before(end) - first.used_before(start)
        used = first.total - first.used_before(start)
        block = self._block(first.index + 1)
        while end >= block.end:
            used += block.total
            block = self._block(block.index + 1)
        return used + block.used_before(end)

    # -- materialising blocks ---------------------------------------------

    def _block_at(self, at: int) -> _Block:
        return self._block((at // _US_PER_DAY - _EPOCH_DAY) // _DAYS_PER_BLOCK)

    def _block(self, index: int) -> _Block:
        block = self._blocks.get(index)
        if block is None:
            block = self._materialise_block(index)
            with self._lock:
                while len(self._blocks) >= _MAX_CACHED_BLOCKS:
                    del self._blocks[next(iter(self._blocks))]
                self._blocks[index] = block
        return block

    def _materialise_block(self, index: int) -> _Block:
        first_day = _FIRST_MONDAY + timedelta(days=index * _DAYS_PER_BLOCK)
        start = (_EPOCH_DAY + index * _DAYS_PER_BLOCK) * _US_PER_DAY
        end = start + _DAYS_PER_BLOCK * _US_PER_DAY
        # The local dates that can reach into these UTC days: zones lie
        # within a day of UTC, and a shift runs at most a day past its date.
        first_local = first_day - timedelta(days=2)
        last_local = first_day + timedelta(days=_DAYS_PER_BLOCK + 1)

        shifts = []
        day = first_local
        while day <= last_local:
            for opening, closing in self._hours[day.weekday()]:
                shifts.append(
                    (self._wall_to_us(day, opening), self._wall_to_us(day, closing))
                )
            day += timedelta(days=1)
        closed = []
        day = first_local
        while day <= last_local:
            if self._is_holiday(day):
                closed.append(
                    (self._wall_to_us(day, 0), self._wall_to_us(day, _SECONDS_PER_DAY))
                )
            day += timedelta(days=1)

        intervals = _subtract(_union(shifts), _union(closed))
        clipped = [
            (max(opening, start), min(closing, end))
            for opening, closing in intervals
            if opening < end and closing > start
        ]
        return _Block(index, start, end, clipped)

    def _wall_to_us(self, day: date, seconds: int) -> int:
        """Map a wall-clock time of ``day`` (seconds may pass 24 h) to UTC.

        An ambiguous wall time is its first occurrence and a skipped one
        moves forward by the gap. pytz's ``is_dst`` is used only to obtain
        the two candidate offsets, never for its meaning, which is reversed
        in zones with negative DST such as Europe/Dublin.
        """
        wall = datetime.combine(day, time()) + timedelta(seconds=seconds)
        try:
            local = self._tz.localize(wall, is_dst=None)
        except (pytz.AmbiguousTimeError, pytz.NonExistentTimeError):
            candidates = [self._tz.localize(wall, is_dst=flag) for flag in (0, 1)]
            real = [
                c
                for c in candidates
                if self._tz.normalize(c).replace(tzinfo=None) == wall
            ]
            if real:
                local = min(real, key=lambda c: c.astimezone(UTC))
            else:
                local = max(candidates, key=lambda c: c.astimezone(UTC))
        return (local - _EPOCH) // _ONE_US

    def _is_holiday(self, day: date) -> bool:
        if day in self._holiday_dates:
            return True
        if self._holiday_country is None:
            return False
        dates = self._country_dates.get(day.year)
        if dates is None:
            found = holidays_lib.country_holidays(
                self._holiday_country,
                subdiv=self._holiday_subdivision,
                years=day.year,
            )
            dates = frozenset(found)
            self._country_dates[day.year] = dates
        return day in dates


# -- spec parsing ------------------------------------------------------------


@lru_cache(maxsize=256)
def _build_calendar(key: str) -> BusinessCalendar:
    spec = json.loads(key)
    unknown = sorted(set(spec) - _SPEC_FIELDS)
    if unknown:
        raise CalendarSpecError(unknown[0], "unknown field")
    tz_name = _parse_zone(spec.get("tz"))
    hours = _parse_hours(spec.get("hours"))
    holiday_dates = _parse_holiday_dates(spec.get("holidays", []))
    country, subdivision = _parse_holiday_country(
        spec.get("holiday_country"), spec.get("holiday_subdivision")
    )
    return BusinessCalendar(
        tz_name=tz_name,
        hours=hours,
        holiday_dates=holiday_dates,
        holiday_country=country,
        holiday_subdivision=subdivision,
        spec=spec,
    )


def _encode_date(value: object) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a date or JSON value")


def _parse_zone(value: object) -> str:
    if value is None:
        raise CalendarSpecError("tz", "missing; give an IANA zone name")
    if not isinstance(value, str) or value not in pytz.all_timezones_set:
        raise CalendarSpecError("tz", f"unknown time zone {value!r}")
    return value


def _parse_hours(value: object) -> tuple[tuple[tuple[int, int], ...], ...]:
    if not isinstance(value, Mapping):
        raise CalendarSpecError("hours", "must map weekdays to lists of intervals")
    for key in value:
        if key not in WEEKDAYS:
            raise CalendarSpecError(
                f"hours.{key}", f"unknown weekday (use {', '.join(WEEKDAYS)})"
            )
    week: list[tuple[int, ...]] = []
    placed: list[tuple[int, int, str]] = []
    for day_index, day in enumerate(WEEKDAYS):
        intervals = value.get(day, [])
        if not isinstance(intervals, list):
            raise CalendarSpecError(f"hours.{day}", "must be a list of intervals")
        parsed = []
        for n, interval in enumerate(intervals):
            field = f"hours.{day}[{n}]"
            opening, closing = _parse_interval(field, interval)
            _check_no_overlap(field, day_index, opening, closing, placed)
            placed.append(
                (day_index * _SECONDS_PER_DAY + opening, closing - opening, field)
            )
            parsed.append((opening, closing))
        week.append(tuple(parsed))
    if not placed:
        raise CalendarSpecError("hours", "no open time in the week")
    return tuple(week)


def _parse_interval(field: str, interval: object) -> tuple[int, int]:
    if not isinstance(interval, list) or len(interval) != 2:
        raise CalendarSpecError(field, 'must be a pair ["HH:MM", "HH:MM"]')
    opening = _parse_time(field, interval[0])
    closing = _parse_time(field, interval[1])
    if opening == _SECONDS_PER_DAY:
        raise CalendarSpecError(field, "an interval cannot open at 24:00")
    if closing <= opening:
        closing += _SECONDS_PER_DAY
    return opening, closing


def _parse_time(field: str, value: object) -> int:
    match = _TIME_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise CalendarSpecError(field, f"malformed time {value!r} (expected HH:MM)")
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise CalendarSpecError(field, f"malformed time {value!r} (00:00 to 24:00)")
    return hour * 3600 + minute * 60


def _check_no_overlap(
    field: str,
    day_index: int,
    opening: int,
    closing: int,
    placed: list[tuple[int, int, str]],
) -> None:
    """Reject an interval that shares time with one already placed.

    Positions are seconds from Monday 00:00 on a circular week, so a
    Sunday night shift is checked against Monday morning.
    """
    week = 7 * _SECONDS_PER_DAY
    start = day_index * _SECONDS_PER_DAY + opening
    length = closing - opening
    for other_start, other_length, other_field in placed:
        gap = (other_start - start) % week
        back = (start - other_start) % week
        if gap < length or back < other_length:
            raise CalendarSpecError(
                field,
                f"intervals overlap {_format_span(other_start, other_length)}"
                f" ({other_field})",
            )


def _format_span(start: int, length: int) -> str:
    def clock(seconds: int) -> str:
        seconds %= _SECONDS_PER_DAY
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

    end = start + length
    end_text = "24:00" if end % _SECONDS_PER_DAY == 0 and length else clock(end)
    return f"{clock(start)}-{end_text}"


def _parse_holiday_dates(value: object) -> frozenset[date]:
    if not isinstance(value, list):
        raise CalendarSpecError("holidays", "must be a list of YYYY-MM-DD dates")
    dates = set()
    for n, item in enumerate(value):
        try:
            if not isinstance(item, str) or len(item) != 10:
                raise ValueError
            dates.add(date.fromisoformat(item))
        except ValueError:
            raise CalendarSpecError(
                f"holidays[{n}]", f"bad date {item!r} (expected YYYY-MM-DD)"
            ) from None
    return frozenset(dates)


def _parse_holiday_country(
    country: object, subdivision: object
) -> tuple[str | None, str | None]:
    if country is None:
        if subdivision is not None:
            raise CalendarSpecError(
                "holiday_subdivision", "needs holiday_country as well"
            )
        return None, None
    if not isinstance(country, str):
        raise CalendarSpecError("holiday_country", f"unknown country {country!r}")
    if subdivision is not None and not isinstance(subdivision, str):
        raise CalendarSpecError(
            "holiday_subdivision", f"unknown subdivision {subdivision!r}"
        )
    if country not in holidays_lib.list_supported_countries():
        raise CalendarSpecError("holiday_country", f"unknown country {country!r}")
    try:
        holidays_lib.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise CalendarSpecError(
            "holiday_subdivision",
            f"unknown subdivision {subdivision!r} of {country}",
        ) from None
    return country, subdivision


# -- interval and conversion helpers ----------------------------------------


def _union(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the union of intervals, sorted, with touching ones joined."""
    merged: list[tuple[int, int]] = []
    for opening, closing in sorted(intervals):
        if closing <= opening:
            continue
        if merged and opening <= merged[-1][1]:
            if closing > merged[-1][1]:
                merged[-1] = (merged[-1][0], closing)
        else:
            merged.append((opening, closing))
    return merged


def _subtract(
    intervals: list[tuple[int, int]], holes: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return sorted disjoint ``intervals`` minus sorted disjoint ``holes``."""
    result = []
    for opening, closing in intervals:
        for hole_start, hole_end in holes:
            if hole_end <= opening or hole_start >= closing:
                continue
            if hole_start > opening:
                result.append((opening, hole_start))
            opening = max(opening, hole_end)
            if opening >= closing:
                break
        if opening < closing:
            result.append((opening, closing))
    return result


def _merge_pauses(
    pauses: Iterable[tuple[datetime, datetime | None]],
) -> list[tuple[int, int]]:
    spans = []
    for n, pause in enumerate(pauses):
        try:
            pause_start, pause_end = pause
        except (TypeError, ValueError):
            raise InvalidInput(
                "a pause must be a (from, to) pair", field=f"pauses[{n}]"
            ) from None
        lower = _to_us(pause_start, f"pauses[{n}]")
        upper = _OPEN_ENDED if pause_end is None else _to_us(pause_end, f"pauses[{n}]")
        if upper < lower:
            raise InvalidInput("pause ends before it starts", field=f"pauses[{n}]")
        spans.append((lower, upper))
    return _union(spans)


def _to_us(value: datetime, field: str) -> int:
    """Return an aware instant as integer microseconds since the epoch.

    ``timestamp()`` is exact to the microsecond once rounded back, for any
    instant before the year 2096, and much faster than a subtraction.
    """
    if not isinstance(value, datetime):
        raise InvalidInput(f"{field} must be a datetime", field=field)
    if value.tzinfo is not UTC and value.utcoffset() is None:
        raise InvalidInput(f"{field} must be timezone-aware, not naive", field=field)
    return round(value.timestamp() * _US_PER_SECOND)


def _from_us(value: int) -> datetime:
    return _EPOCH + timedelta(0, 0, value)


def _minutes(us: int) -> float:
    """Return microseconds as minutes, rounded as ``_elapsed.c`` rounds."""
    return us / _US_PER_SECOND / 60


def _minutes_to_us(minutes: float) -> int:
    if isinstance(minutes, int) and not isinstance(minutes, bool):
        if minutes < 0:
            raise InvalidInput("minutes must not be negative", field="minutes")
        return minutes * _US_PER_MINUTE
    if not isinstance(minutes, numbers.Real):
        raise InvalidInput("minutes must be a number", field="minutes")
    value = float(minutes)
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(
            f"minutes must be finite and not negative, not {minutes!r}",
            field="minutes",
        )
    return round(value * _US_PER_MINUTE)
