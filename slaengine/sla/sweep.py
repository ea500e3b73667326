"""The sweep: fire what has come due on tickets nobody touched meanwhile.

Tickets carry ``next_deadline_at``, the earliest instant at which one of
their timers has a warning or breach to fire. The sweep takes tickets whose
instant has come, oldest first, in batches (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several sweeps share the work), fires their due events and
stores each ticket's next instant. Its cost grows with the number of due
tickets, not with the number of open ones.

The timer rows are a cache recomputed on every change to the ticket, so the
due and warning instants in them are current; the sweep only fires them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from slaengine.models import Ticket
from slaengine.sla import recipients_for
from slaengine.sla.firing import fire, next_deadline

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    tickets: int
    firings: int


def due_tickets_query(now: datetime, batch_size: int, *, skip_locked: bool):
    query = (
        select(Ticket)
        .where(Ticket.next_deadline_at <= now)
        .order_by(Ticket.next_deadline_at)
        .limit(batch_size)
        .options(selectinload(Ticket.timers), selectinload(Ticket.assignee))
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return query


def sweep_batch(session: Session, *, now: datetime, batch_size: int = 500) -> SweepResult:
    """Fire the due events of one batch of tickets, in the caller's transaction."""
    skip_locked = session.get_bind().dialect.name == "postgresql"
    tickets = list(session.scalars(due_tickets_query(now, batch_size, skip_locked=skip_locked)))
    if not tickets:
        return SweepResult(0, 0)
    firings = fire(session, tickets, now=now, recipients=recipients_for(session, tickets))
    # A sweep is not an edit: the next deadline is written past the ORM so the
    # ticket's version (the agents' edit guard) does not move.
    session.flush()
    session.execute(
        update(Ticket.__table__).where(Ticket.__table__.c.id == bindparam("ticket_id")),
        [
            {"ticket_id": t.id, "next_deadline_at": next_deadline(t.timers)}
            for t in tickets
        ],
    )
    return SweepResult(len(tickets), firings)


def run_sweep(database, *, now: datetime, batch_size: int = 500, max_batches: int = 1000) -> SweepResult:
    """Sweep until no due ticket is left, one transaction per batch."""
    tickets = firings = 0
    for _ in range(max_batches):
        with database.session() as session:
            result = sweep_batch(session, now=now, batch_size=batch_size)
        tickets += result.tickets
        firings += result.firings
        if result.tickets < batch_size:
            break
    if tickets:
        logger.info("event=sla.sweep tickets=%d firings=%d", tickets, firings)
    return SweepResult(tickets, firings)
