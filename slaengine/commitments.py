"""SLA commitments in plain words, for customers.

The numbers come from the policy in force for the ticket
(:func:`slaengine.sla.targets_for`); these functions only say them the way a
customer reads them: "an engineer will acknowledge within 15 minutes, around
the clock" for a 24x7 commitment, "within 2 business hours (Monday to Friday,
08:00–20:00 Dublin time)" for one on the home center's business calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slaengine.models import Ticket
from slaengine.policies import default_policies, select_policy
from slaengine.routing.centers import default_centers
from slaengine.sla import targets_for

WEEKDAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


@dataclass(frozen=True)
class Commitment:
    """What the customer can expect next, and by when (aware UTC)."""

    sentence: str
    due_at: datetime | None = None


def _plural(count: float, unit: str) -> str:
    count = int(count) if float(count).is_integer() else round(count, 1)
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def describe_minutes(minutes: float, *, business: bool, day_minutes: float = 0) -> str:
    """``15 minutes``, ``1 hour``, ``2 business hours``, ``1 business day``.

    Whole business days are named as days when ``day_minutes`` (the policy's
    business day) is given.
    """
    prefix = "business " if business else ""
    if (
        business
        and day_minutes
        and minutes >= day_minutes
        and minutes % day_minutes == 0
    ):
        return _plural(minutes / day_minutes, "business day")
    if minutes < 60:
        return _plural(minutes, f"{prefix}minute")
    hours, rest = divmod(minutes, 60)
    text = _plural(hours, f"{prefix}hour")
    return f"{text} {_plural(rest, 'minute')}" if rest else text


def business_hours_phrase(center_code: str | None) -> str:
    """``Monday to Friday, 08:00–20:00 Dublin time`` for the center's hours."""
    center = default_centers().get(center_code or "")
    if center is None:
        return "business hours"
    days = list(center.business_days)
    if days == ["mon", "tue", "wed", "thu", "fri"]:
        day_text = "Monday to Friday"
    else:
        day_text = ", ".join(WEEKDAY_NAMES[day] for day in days)
    opens, closes = center.peak_hours
    return f"{day_text}, {opens}–{closes} {center.name} time"


def _account_tier(ticket: Ticket) -> str | None:
    return ticket.organization.account_tier if ticket.organization else None


def acknowledgement_promise(ticket: Ticket) -> str:
    """The acknowledgement commitment for the ticket's priority and account tier.

    Limitations: says the target, not the instant; a business-hours target
    also excludes the center's public holidays, which the sentence leaves out.
    """
    targets = targets_for(ticket)
    minutes = targets.minutes["acknowledge"]
    if targets.calendar == "24x7":
        return (
            f"an engineer will acknowledge within "
            f"{describe_minutes(minutes, business=False)}, around the clock"
        )
    return (
        f"an engineer will acknowledge within "
        f"{describe_minutes(minutes, business=True)} "
        f"({business_hours_phrase(ticket.center)})"
    )


def current_commitment(ticket: Ticket) -> Commitment:
    """What we owe the customer now, from the ticket's stored timers."""
    if ticket.status in ("solved", "closed"):
        return Commitment("this ticket is solved; reply if you still need help")
    timers = {timer.metric: timer for timer in ticket.timers}
    acknowledge = timers.get("acknowledge")
    if acknowledge is not None and acknowledge.state in ("running", "breached"):
        return Commitment(acknowledgement_promise(ticket), acknowledge.due_at)
    if ticket.status == "pending":
        return Commitment(
            "we are waiting for your reply; the clock is paused until then"
        )
    update = timers.get("update")
    if update is not None and update.state in ("running", "breached"):
        business = targets_for(ticket).calendar != "24x7"
        day_minutes = select_policy(
            default_policies(), _account_tier(ticket)
        ).business_day_minutes
        when = describe_minutes(
            update.target_minutes, business=business, day_minutes=day_minutes
        )
        suffix = ", around the clock" if not business else ""
        return Commitment(
            f"an engineer will update you at least every {when}{suffix}", update.due_at
        )
    return Commitment("an engineer is working on your ticket")
