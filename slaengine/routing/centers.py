"""Support centers as configuration: where they are, when, what they speak.

The centers live in ``centers.json`` beside this module (or a file named by
the ``SLAENGINE_CENTERS`` setting) and are validated on load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import holidays as holidays_lib
import pytz
from marshmallow import Schema, ValidationError, fields, validate

from slaengine.calendars import BusinessCalendar
from slaengine.errors import ConfigError
from slaengine.models import REGIONS

DEFAULT_FILE = Path(__file__).resolve().parent / "centers.json"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"
# Critical and high tickets are covered around the clock, holidays included;
# a center's holiday takes it off peak for medium and low work only.
ROUND_THE_CLOCK_PRIORITIES = ("critical", "high")


class CenterSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{2,20}$"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    tz = fields.String(required=True)
    peak_hours = fields.List(
        fields.String(validate=validate.Regexp(TIME)),
        required=True,
        validate=validate.Length(equal=2),
    )
    business_days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        validate=validate.Length(min=1),
    )
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2}$")),
        required=True,
        validate=validate.Length(min=1),
    )
    # TODO: a center cannot list its own holiday dates or drop package ones (Texas
    # state days such as LBJ Day count for Austin); only country/subdivision.
    holiday_country = fields.String(load_default=None)
    holiday_subdivision = fields.String(load_default=None)
    regions = fields.List(
        fields.String(validate=validate.OneOf(REGIONS)), load_default=list
    )


@dataclass(frozen=True)
class Center:
    """A support center. ``peak_hours`` are local wall-clock times."""

    code: str
    name: str
    tz: str
    peak_hours: tuple[str, str]
    business_days: tuple[str, ...]
    languages: tuple[str, ...]
    holiday_country: str | None
    holiday_subdivision: str | None
    regions: tuple[str, ...]

    def _holiday_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if self.holiday_country:
            spec["holiday_country"] = self.holiday_country
        if self.holiday_subdivision:
            spec["holiday_subdivision"] = self.holiday_subdivision
        return spec

    def business_calendar_spec(self) -> dict[str, Any]:
        """Business days, peak hours and national holidays: medium/low SLAs."""
        hours = {day: [list(self.peak_hours)] for day in self.business_days}
        return {"tz": self.tz, "hours": hours, **self._holiday_spec()}

    def peak_calendar_spec(self) -> dict[str, Any]:
        """Peak staffing every day of the week, holidays included."""
        return {
            "tz": self.tz,
            "hours": {day: [list(self.peak_hours)] for day in WEEKDAYS},
        }

    @property
    def business_calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_spec(self.business_calendar_spec())

    @property
    def peak_calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_spec(self.peak_calendar_spec())

    @cached_property
    def _holidays(self) -> holidays_lib.HolidayBase | None:
        if not self.holiday_country:
            return None
        return holidays_lib.country_holidays(
            self.holiday_country, subdiv=self.holiday_subdivision
        )

    def local_date(self, at: datetime) -> date:
        """The center's wall-clock date at the aware instant ``at``."""
        return at.astimezone(pytz.timezone(self.tz)).date()

    def is_holiday(self, at: datetime) -> bool:
        """Whether ``at`` falls on a public holiday of the center's own date."""
        return self._holidays is not None and self.local_date(at) in self._holidays

    def is_in_peak(self, at: datetime, *, priority: str) -> bool:
        """Whether the center works ``priority`` tickets at peak strength at ``at``.

        Limitations: a holiday takes the center off peak for medium and low
        only; critical and high are staffed every day of the year.
        """
        if not self.peak_calendar.is_open(at):
            return False
        return priority in ROUND_THE_CLOCK_PRIORITIES or not self.is_holiday(at)

    def peak_ends_at(self, at: datetime) -> datetime | None:
        """The instant the peak hours running at ``at`` end; None off peak.

        Limitations: on a DST change day the local 20:00 is still the end,
        so the peak lasts 11 or 13 real hours.
        """
        if not self.peak_calendar.is_open(at):
            return None
        _, ends_at = next(self.peak_calendar.open_intervals(at, at + timedelta(days=2)))
        return ends_at


def load_centers(path: Path) -> dict[str, Center]:
    """Load and validate a centers file; the result keeps the file's order.

    :raises ConfigError: naming the file, the entry and the field.
    """
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read centers: {exc}") from None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: must be a non-empty list of centers")
    centers: dict[str, Center] = {}
    for index, entry in enumerate(entries):
        label = entry.get("code", index) if isinstance(entry, dict) else index
        try:
            data = CenterSchema().load(entry)
        except ValidationError as exc:
            field, messages = next(iter(exc.messages.items()))
            raise ConfigError(
                f"{path}: center {label!r}: {field}: {messages}"
            ) from None
        center = Center(
            code=data["code"],
            name=data["name"],
            tz=data["tz"],
            peak_hours=tuple(data["peak_hours"]),
            business_days=tuple(data["business_days"]),
            languages=tuple(data["languages"]),
            holiday_country=data["holiday_country"],
            holiday_subdivision=data["holiday_subdivision"],
            regions=tuple(data["regions"]),
        )
        if center.code in centers:
            raise ConfigError(f"{path}: center {center.code!r} appears twice")
        if center.peak_hours[0] == center.peak_hours[1]:
            raise ConfigError(
                f"{path}: center {center.code!r}: peak_hours: opening and closing "
                f"are both {center.peak_hours[0]}"
            )
        for other in centers.values():
            shared = set(center.regions) & set(other.regions)
            if shared:
                raise ConfigError(
                    f"{path}: center {center.code!r}: regions: {sorted(shared)[0]!r} "
                    f"is already served by {other.code!r}"
                )
        try:
            center.business_calendar  # noqa: B018 - validates zone, hours, holidays
            center.is_holiday(datetime(2026, 1, 1, tzinfo=pytz.utc))
        except (ConfigError, NotImplementedError) as exc:
            raise ConfigError(f"{path}: center {center.code!r}: {exc}") from None
        centers[center.code] = center
    return centers


@cache
def default_centers() -> dict[str, Center]:
    """The three centers shipped with the engine (cached)."""
    return load_centers(DEFAULT_FILE)
