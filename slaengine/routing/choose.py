"""Choosing the center for a new ticket, and the center that takes it next.

The rules (``docs/routing.md``):

1. The home center serves the organization's region. Without a known
   region, the ticket's language decides when a single center speaks it;
   otherwise the home center is one in its peak hours now.
2. A home center that lacks the ticket's language gives way to a center
   that speaks it: the language is a hard requirement, never a preference.
3. Critical and high tickets follow the sun: when the home center is off
   peak they go to a center in peak hours that speaks the language, the one
   with the most peak time left (so the ticket is not handed on again at
   once). With no such center they stay home, where the round-the-clock
   staff works them.
4. Medium and low tickets stay with their home center.

A center's public holiday takes it off peak for medium and low tickets only.
Every decision is put into words for the ticket's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from slaengine.errors import InvalidInput
from slaengine.models import PRIORITIES, REGIONS
from slaengine.routing.centers import (
    ROUND_THE_CLOCK_PRIORITIES,
    Center,
    default_centers,
)

FOLLOW_THE_SUN = ROUND_THE_CLOCK_PRIORITIES
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "de": "German",
    "fr": "French",
    "zh": "Mandarin",
    "ja": "Japanese",
}
REGION_NAMES = {"americas": "the Americas", "emea": "EMEA", "apac": "APAC"}


@dataclass(frozen=True)
class Route:
    """Where a ticket goes: center code, tier, and why, in words."""

    center: str
    tier: int
    reason: str


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


def check_route_input(
    priority: str, region: str | None, language: str | None, at: datetime
) -> None:
    """Raise :class:`InvalidInput` naming the first bad argument."""
    if priority not in PRIORITIES:
        raise InvalidInput(
            f"priority: unknown priority {priority!r} (one of {', '.join(PRIORITIES)})",
            field="priority",
        )
    if region is not None and region not in REGIONS:
        raise InvalidInput(
            f"region: unknown region {region!r} (one of {', '.join(REGIONS)})",
            field="region",
        )
    if language is not None and (
        not isinstance(language, str) or len(language) != 2 or not language.islower()
    ):
        raise InvalidInput(
            f"language: {language!r} is not an ISO 639-1 code such as 'en'",
            field="language",
        )
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("at: must be an aware datetime", field="at")


def most_peak_left(
    centers: Iterable[Center], at: datetime, *, priority: str
) -> Center | None:
    """Of ``centers``, the one in peak at ``at`` whose peak ends last.

    Ties keep the configuration order. None when none is in peak.
    """
    best: Center | None = None
    best_end: datetime | None = None
    for center in centers:
        if not center.is_in_peak(at, priority=priority):
            continue
        ends_at = center.peak_ends_at(at)
        if best_end is None or (ends_at is not None and ends_at > best_end):
            best, best_end = center, ends_at
    return best


def _soonest_opening(centers: list[Center], at: datetime, priority: str) -> Center:
    """The center that opens first after ``at`` for work of ``priority``.

    Critical and high wait for peak hours; medium and low for business
    hours, which skip weekends and the center's holidays.
    """

    def opens_at(center: Center) -> datetime:
        if priority in FOLLOW_THE_SUN:
            return center.peak_calendar.next_opening(at)
        return center.business_calendar.next_opening(at)

    return min(centers, key=opens_at)


def _home_center(
    centers: Mapping[str, Center],
    region: str | None,
    language: str | None,
    at: datetime,
    priority: str,
) -> tuple[Center, str]:
    for center in centers.values():
        if region and region in center.regions:
            return center, f"customer in {REGION_NAMES.get(region, region)}"
    speakers = [c for c in centers.values() if language and language in c.languages]
    if len(speakers) == 1:
        return speakers[0], f"{language_name(language or '')} speaker"
    pool = speakers or list(centers.values())
    in_peak = most_peak_left(pool, at, priority=priority)
    if in_peak is not None:
        return in_peak, f"region unknown, {in_peak.name} in peak hours"
    first = _soonest_opening(pool, at, priority)
    return first, f"region unknown, no center in peak hours, {first.name} opens first"


def route_ticket(
    priority: str,
    region: str | None,
    language: str | None,
    at: datetime,
    centers: Mapping[str, Center] | None = None,
) -> Route:
    """Center, tier and the reason in words for a new ticket at instant ``at``.

    :param priority: ``critical``, ``high``, ``medium`` or ``low``.
    :param region: the organization's region (a center's region code), or
        None when the organization or its region is unknown.
    :param language: the ticket's ISO 639-1 code, or None.
    :param at: the aware instant the ticket arrives.
    :param centers: the configured centers (default: the shipped ones).
    :returns: a :class:`Route` at tier 1, e.g. ``routed to Dublin: customer
        in EMEA, German speaker``.
    :raises InvalidInput: naming the bad argument.

    Limitations: peak hours are read on each center's wall clock, so they
    move with its DST changes; holidays take a center off peak only for
    medium and low tickets.
    """
    check_route_input(priority, region, language, at)
    centers = centers if centers is not None else default_centers()
    home, why = _home_center(centers, region, language, at, priority)
    reasons = [why]
    if language and language not in home.languages:
        speakers = [c for c in centers.values() if language in c.languages]
        if speakers:
            lacking = home
            home = most_peak_left(speakers, at, priority=priority) or speakers[0]
            reasons.append(
                f"{language_name(language)} speaker, not spoken in {lacking.name}"
            )
        else:
            reasons.append(f"no center speaks {language_name(language)}")
    elif language and language != "en" and not why.startswith(language_name(language)):
        reasons.append(f"{language_name(language)} speaker")

    chosen = home
    if priority in FOLLOW_THE_SUN and not home.is_in_peak(at, priority=priority):
        able = [c for c in centers.values() if not language or language in c.languages]
        in_peak = most_peak_left(able, at, priority=priority)
        if in_peak is not None:
            chosen = in_peak
            reasons.append(f"{home.name} off peak, following the sun")
        else:
            reasons.append(f"{home.name} off peak, no other center can take it")
    return Route(chosen.code, 1, f"routed to {chosen.name}: " + ", ".join(reasons))


def choose_center(
    priority: str, region: str | None, language: str | None, at: datetime
) -> str:
    """The center code for a new ticket at the aware instant ``at``.

    See :func:`route_ticket` for the rules and errors.
    """
    return route_ticket(priority, region, language, at).center


def next_center(
    ticket_language: str | None,
    at: datetime,
    *,
    priority: str,
    leaving: str,
    centers: Mapping[str, Center] | None = None,
) -> Center | None:
    """The center that takes a ticket over from ``leaving`` at ``at``.

    A center in peak hours that speaks the language, other than the one
    being left, with the most peak time ahead; None when there is none.
    """
    centers = centers if centers is not None else default_centers()
    able = [
        c
        for c in centers.values()
        if c.code != leaving and (not ticket_language or ticket_language in c.languages)
    ]
    return most_peak_left(able, at, priority=priority)
