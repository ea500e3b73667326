"""Choosing the center for a new ticket.

Rules, in order (DESIGN.md, Routing):

1. The home center is the one serving the organization's region; else one
   that speaks the ticket's language; else a center in its peak hours now.
2. A home center that lacks the ticket's language gives way to one that has it.
3. Critical and high tickets follow the sun: if the home center is out of
   peak hours, they go to a center in peak hours (one that speaks the
   language first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from slaengine.routing.centers import Center, default_centers

FOLLOW_THE_SUN = ("critical", "high")
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "de": "German",
    "fr": "French",
    "zh": "Mandarin",
    "ja": "Japanese",
}


@dataclass(frozen=True)
class Route:
    center: str
    tier: int
    reason: str


def _in_peak(center: Center, at: datetime) -> bool:
    return center.peak_calendar.is_open(at)


def _home_center(
    centers: Mapping[str, Center], region: str | None, language: str | None, at: datetime
) -> tuple[Center, str]:
    for center in centers.values():
        if region and region in center.regions:
            return center, f"customer in {region.upper()}"
    for center in centers.values():
        if language and language in center.languages:
            return center, f"{LANGUAGE_NAMES.get(language, language)} speaker"
    for center in centers.values():
        if _in_peak(center, at):
            return center, f"{center.name} in peak hours"
    first = next(iter(centers.values()))
    return first, "no center in peak hours"


def route_ticket(
    priority: str,
    region: str | None,
    language: str | None,
    at: datetime,
    centers: Mapping[str, Center] | None = None,
) -> Route:
    """Center, tier and the reason in words for a new ticket at instant ``at``."""
    centers = centers if centers is not None else default_centers()
    home, reason = _home_center(centers, region, language, at)
    reasons = [reason]
    if language and language not in home.languages:
        speaking = [c for c in centers.values() if language in c.languages]
        if speaking:
            home = next((c for c in speaking if _in_peak(c, at)), speaking[0])
            reasons.append(f"{LANGUAGE_NAMES.get(language, language)} speaker")
    elif language and language != "en" and reasons[0] != f"{LANGUAGE_NAMES.get(language)} speaker":
        reasons.append(f"{LANGUAGE_NAMES.get(language, language)} speaker")
    chosen = home
    if priority in FOLLOW_THE_SUN and not _in_peak(home, at):
        candidates = [c for c in centers.values() if _in_peak(c, at)]
        preferred = [c for c in candidates if not language or language in c.languages]
        if preferred or candidates:
            chosen = (preferred or candidates)[0]
            reasons.append(f"{home.name} off peak, following the sun")
    return Route(center=chosen.code, tier=1, reason=f"routed to {chosen.name}: " + ", ".join(reasons))


def choose_center(
    priority: str, region: str | None, language: str | None, at: datetime
) -> str:
    """The center code for a new ticket at the aware instant ``at``."""
    return route_ticket(priority, region, language, at).center
