"""Handing tickets between centers: the agent's hand-off and the sun's.

:func:`hand_off` moves one ticket to another center with a note for the
next shift; agents call it from the workspace. :func:`hand_off_due` is the
clock's version: when a center's peak hours end, its unsolved critical and
high tickets go to the center in peak hours that speaks their language and
has the most peak time ahead (:func:`~slaengine.routing.choose.next_center`).
A ticket no center in peak can take (its language is spoken only where it
is) stays, with the round-the-clock staff.

Each hand-off records a ``handoff`` event and an internal note in the
conversation, gives the ticket to an agent of the receiving center and the
same tier (or its queue), and tells the receiving center's leads by email.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pytz
from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.errors import Conflict, InvalidInput, StaleVersion
from slaengine.events import Actor, record_event
from slaengine.models import Message, Ticket
from slaengine.outbox import staff_emails
from slaengine.routing.assignment import UNSOLVED, assign_automatically
from slaengine.routing.centers import (
    ROUND_THE_CLOCK_PRIORITIES,
    Center,
    default_centers,
)
from slaengine.routing.choose import language_name, next_center
from slaengine.routing.notices import at_risk, notify

logger = logging.getLogger(__name__)

SUN = Actor.system("follow the sun")
MAX_NOTE = 5000


def _local_clock(center: Center, at: datetime) -> str:
    return at.astimezone(pytz.timezone(center.tz)).strftime("%H:%M")


def _move(
    session: Session,
    ticket: Ticket,
    to: Center,
    *,
    actor: Actor,
    note: str,
    now: datetime,
) -> None:
    """Move the ticket, note it, reassign it and tell the receiving leads."""
    centers = default_centers()
    leaving = centers.get(ticket.center or "")
    leaving_name = leaving.name if leaving else (ticket.center or "no center")
    cause = f"handoff:{ticket.id}:v{ticket.version}"
    text = f"Handed off from {leaving_name} to {to.name}: {note}"
    message = Message(
        ticket_id=ticket.id,
        public=False,
        author_type="agent" if actor.is_staff else "system",
        author_user_id=actor.id if actor.is_staff else None,
        body_text=text,
        channel="agent",
        created_at=now,
    )
    session.add(message)
    session.flush()
    record_event(
        session,
        ticket,
        actor,
        "handoff",
        at=now,
        field="center",
        before=ticket.center,
        after=to.code,
        data={
            "note": note,
            "message_id": message.id,
            "assignee_before": ticket.assignee_id,
        },
    )
    ticket.center = to.code
    assignee = assign_automatically(session, ticket, now=now)
    notify(
        session,
        ticket,
        cause=cause,
        recipients=staff_emails(session, center=to.code, roles=("lead",)),
        headline=f"Handed to {to.name}",
        lines=[
            f"What happened: {text}",
            f"Assigned to {assignee.name}."
            if assignee
            else f"Waiting unassigned in the {to.name} tier {ticket.tier} queue.",
        ],
        now=now,
    )
    logger.info(
        "event=ticket.handoff ticket=%s from=%s to=%s by=%s",
        ticket.reference,
        leaving.code if leaving else None,
        to.code,
        actor.name,
    )


def hand_off(
    session: Session,
    ticket: Ticket,
    to_center: str,
    *,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hand ``ticket`` to the center ``to_center``, with a note for its staff.

    The ticket keeps its tier and goes to an on-shift agent of that tier in
    the new center (or its queue). Medium and low tickets' timers then run
    on the new center's business calendar, recomputed from the start.

    :raises InvalidInput: naming ``to_center`` (unknown, the ticket's own,
        or lacking the ticket's language) or ``note`` (too long).
    :raises Conflict: for a solved or closed ticket.
    :raises StaleVersion: when ``expected_version`` is not the ticket's.
    """
    now = now or utcnow()
    if expected_version is not None and expected_version != ticket.version:
        raise StaleVersion(ticket.id, expected_version, ticket.version)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: longer than {MAX_NOTE} characters", field="note")
    centers = default_centers()
    to = centers.get(to_center)
    if to is None:
        raise InvalidInput(
            f"to_center: unknown center {to_center!r} (one of {', '.join(centers)})",
            field="to_center",
        )
    if to.code == ticket.center:
        raise InvalidInput(
            f"to_center: the ticket is already in {to.name}", field="to_center"
        )
    if ticket.language not in to.languages:
        raise InvalidInput(
            f"to_center: {to.name} does not work in {language_name(ticket.language)}",
            field="to_center",
        )
    if ticket.status in ("solved", "closed"):
        raise Conflict(
            f"ticket {ticket.reference} is {ticket.status}: nothing to hand off"
        )
    _move(session, ticket, to, actor=actor, note=note or "no note given", now=now)
    ticket_service.save_change(session, ticket, now)
    return ticket


def _sun_note(ticket: Ticket, leaving: Center, to: Center, now: datetime) -> str:
    ends_at = to.peak_ends_at(now)
    until = f" until {_local_clock(to, ends_at)} local" if ends_at else ""
    return (
        f"{leaving.name}'s peak hours have ended ({_local_clock(leaving, now)} local); "
        f"{to.name} is in peak hours{until}. Status {ticket.status}, "
        f"tier {ticket.tier}, {ticket.priority}; {at_risk(ticket)}."
    )


def hand_off_due(session: Session, *, now: datetime, batch_size: int = 200) -> int:
    """Hand one batch of tickets from off-peak centers to centers in peak.

    Takes unsolved critical and high tickets of centers out of peak hours at
    ``now`` whose language a center in peak hours speaks (rows locked with
    ``SKIP LOCKED`` on PostgreSQL, so two schedulers share the work).

    :returns: how many tickets were handed off.

    Limitations: a peak window that ended while the engine was down is
    noticed at the next run; the ticket then goes to the center in peak at
    that moment.
    """
    centers = default_centers()
    in_peak = [c for c in centers.values() if c.is_in_peak(now, priority="critical")]
    off_peak = [code for code in centers if centers[code] not in in_peak]
    languages = sorted({language for c in in_peak for language in c.languages})
    if not off_peak or not languages:
        return 0
    query = (
        select(Ticket)
        .where(
            Ticket.priority.in_(ROUND_THE_CLOCK_PRIORITIES),
            Ticket.status.in_(UNSOLVED),
            Ticket.center.in_(off_peak),
            Ticket.language.in_(languages),
        )
        .order_by(Ticket.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Ticket)
    moved = 0
    for ticket in session.scalars(query).all():
        leaving = centers[ticket.center]
        to = next_center(
            ticket.language, now, priority=ticket.priority, leaving=leaving.code
        )
        if to is None:
            continue
        _move(
            session,
            ticket,
            to,
            actor=SUN,
            note=_sun_note(ticket, leaving, to, now),
            now=now,
        )
        ticket_service.save_change(session, ticket, now)
        moved += 1
    return moved


def run_handoffs(
    database, *, now: datetime, batch_size: int = 200, max_batches: int = 100
) -> int:
    """Hand off every due ticket, one transaction per batch (the scheduler's job)."""
    moved = 0
    for _ in range(max_batches):
        with database.session() as session:
            count = hand_off_due(session, now=now, batch_size=batch_size)
        moved += count
        if count < batch_size:
            break
    if moved:
        logger.info("event=routing.follow_the_sun tickets=%d", moved)
    return moved
