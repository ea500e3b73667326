"""A ticket's timers in words, for operators at the command line."""

from __future__ import annotations

from datetime import datetime

import pytz
from sqlalchemy.orm import Session

from slaengine.models import Ticket
from slaengine.routing.centers import default_centers
from slaengine.sla import evaluate


def _local(at, zone: str) -> str:
    return at.astimezone(pytz.timezone(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def describe_timers(session: Session, ticket: Ticket, *, now: datetime) -> str:
    """One line per timer as it stands at ``now``: metric, state, target, due
    instant in UTC and at the ticket's center, business time used."""
    center = default_centers().get(ticket.center or "")
    zone = center.tz if center else "UTC"
    lines = [
        f"Ticket #{ticket.id} {ticket.priority} {ticket.status}, "
        f"center {ticket.center}, "
        f"tier {ticket.tier}, created {ticket.created_at:%Y-%m-%d %H:%M:%S} UTC "
        f"({_local(ticket.created_at, zone)})"
    ]
    calendars = {t.metric: t.calendar for t in ticket.timers}
    for timer in evaluate(session, ticket, now=now):
        due = (
            f"due {timer.due_at:%Y-%m-%d %H:%M:%S} UTC ({_local(timer.due_at, zone)})"
            if timer.due_at
            else "no due time while paused"
        )
        met = f", met {timer.met_at:%Y-%m-%d %H:%M:%S} UTC" if timer.met_at else ""
        lines.append(
            f"  {timer.metric:<18} {timer.state:<9} "
            f"target {timer.target_minutes:g} min "
            f"({calendars.get(timer.metric, '?')}), {due}{met}, "
            f"used {timer.used_minutes:.1f} min"
        )
    return "\n".join(lines)
