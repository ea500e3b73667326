"""Which business calendar a ticket's timers run on."""

from __future__ import annotations

from slaengine.calendars import BusinessCalendar
from slaengine.routing.centers import default_centers

ROUND_THE_CLOCK_SPEC = {
    "tz": "UTC",
    "hours": {
        day: [["00:00", "24:00"]]
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
}


def round_the_clock() -> BusinessCalendar:
    """The 24x7 calendar, without holidays."""
    return BusinessCalendar.from_spec(ROUND_THE_CLOCK_SPEC)


def calendar_named(name: str, center: str | None) -> BusinessCalendar:
    """``"24x7"``, or ``"business"``: the business calendar of ``center``.

    A ticket with no center yet uses the first configured center's hours.
    """
    if name == "24x7":
        return round_the_clock()
    centers = default_centers()
    home = centers.get(center or "") or next(iter(centers.values()))
    return home.business_calendar
