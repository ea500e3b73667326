"""Notices to staff about routing and escalation, written to the outbox.

Each notice has a dedupe key naming its cause and recipient, so one cause
never mails the same person twice, whoever writes it and however often.
The text says what happened, which commitment is at risk and by when, and
where the ticket is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from slaengine.models import Ticket
from slaengine.outbox import enqueue_email

TICKET_PATH = "/agent/tickets/{id}"
BASE_METRICS = ("acknowledge", "expert_engaged", "workaround", "resolution")


def ticket_link(session: Session, ticket: Ticket) -> str:
    """The ticket's page in the agent workspace, under ``PUBLIC_URL`` where
    the session's database knows it (a bare path otherwise)."""
    return session.info.get("public_url", "") + TICKET_PATH.format(id=ticket.id)


def at_risk(ticket: Ticket) -> str:
    """The commitment due first among those still open, in words."""
    open_timers = [
        timer
        for timer in ticket.timers
        if timer.metric in BASE_METRICS and timer.met_at is None and timer.due_at
    ]
    if not open_timers:
        return "no open commitment has a due time (the clock is paused)"
    first = min(open_timers, key=lambda timer: timer.due_at)
    verb = "was due" if first.state == "breached" else "is due"
    return (
        f"{first.metric.replace('_', ' ')} {verb} at {first.due_at:%Y-%m-%d %H:%M} UTC"
    )


def notify(
    session: Session,
    ticket: Ticket,
    *,
    cause: str,
    recipients: Iterable[str],
    headline: str,
    lines: Iterable[str],
    now: datetime,
) -> int:
    """Queue one email per recipient about ``ticket``; returns how many.

    :param cause: unique per event, e.g. ``escalation:12:notify_executives``;
        with the address it forms the dedupe key.
    """
    subject = f"[{ticket.reference}] {headline}: {ticket.subject}"[:1000]
    body = "\n".join(
        [
            f"Ticket {ticket.reference} ({ticket.priority}, tier {ticket.tier}, "
            f"{ticket.center}): {ticket.subject}",
            *lines,
            f"At risk: {at_risk(ticket)}.",
            f"Open the ticket: {ticket_link(session, ticket)}",
        ]
    )
    queued = 0
    for address in dict.fromkeys(recipients):
        message = enqueue_email(
            session,
            dedupe_key=f"{cause}:{address}"[:255],
            ticket=ticket,
            recipient=address,
            subject=subject,
            body=body + "\n",
            now=now,
            headers={"Auto-Submitted": "auto-generated"},
        )
        queued += message is not None
    return queued
