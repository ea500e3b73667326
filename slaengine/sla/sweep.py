"""The sweep: fire what has come due on tickets nobody touched meanwhile.

Tickets carry ``next_deadline_at`` (a narrow ``ticket_deadline`` row), the
earliest instant at which one of their timers has a warning or breach to
fire. The sweep takes tickets whose instant has come, earliest first, in
batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several sweeps, and
several workers of one sweep, share the work), fires their due events and
stores each ticket's next instant.
Its cost grows with the number of due tickets, not with the number of open
ones.

The timer rows are a cache recomputed on every change to the ticket, so the
due and warning instants in them are current; the sweep only fires them. It
reads and writes plain rows rather than ORM objects (it is the engine's hot
path), and it does not move the ticket's version: a sweep is not an edit.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from slaengine.escalation import earliest, sweep_escalations
from slaengine.models import SlaTimer, Ticket, TicketDeadline
from slaengine.sla import recipients_for, store_next_deadlines
from slaengine.sla.firing import fire, next_deadline
from slaengine.sla.rows import among, update_rows

logger = logging.getLogger(__name__)

TIMERS = SlaTimer.__table__
FIRED_COLUMNS = ("state", "warning_fired_at", "breach_fired_at", "breached_at")
# What firing reads of a timer; the rest of the row is not needed here.
TIMER_COLUMNS = (
    "id",
    "ticket_id",
    "metric",
    "cycle",
    "target_minutes",
    "due_at",
    "warn_at",
    "met_at",
    *FIRED_COLUMNS,
)


@dataclass(frozen=True)
class SweepResult:
    tickets: int
    firings: int


def due_tickets_query(now: datetime, batch_size: int, *, skip_locked: bool):
    """The due tickets, earliest deadline first: a range scan of its index.

    Each row has what firing and the escalation rules read of the ticket.
    With ``skip_locked`` both rows are locked, and rows another transaction
    holds are passed over: the ticket, so a ticket being edited is left to
    its edit; its deadline row, so that once another sweep has committed a
    ticket, the deadline is read again and the ticket, no longer due, is not
    taken twice.
    """
    query = (
        select(
            Ticket.id,
            Ticket.priority,
            Ticket.subject,
            Ticket.center,
            Ticket.assignee_id,
            Ticket.status,
            Ticket.tier,
            Ticket.created_at,
            Ticket.escalated_to_executives,
            Ticket.organization_id,
        )
        .join(TicketDeadline, TicketDeadline.ticket_id == Ticket.id)
        .where(TicketDeadline.next_deadline_at <= now)
        .order_by(TicketDeadline.next_deadline_at)
        .limit(batch_size)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=(Ticket, TicketDeadline))
    return query


def _load_timers(
    session: Session, ticket_ids: list[int]
) -> dict[int, list[SimpleNamespace]]:
    """The timers that can still fire: open ones, and any met after its due
    instant whose breach is not yet recorded. Met timers have nothing left."""
    timers: dict[int, list[SimpleNamespace]] = {tid: [] for tid in ticket_ids}
    columns = [TIMERS.c[name] for name in TIMER_COLUMNS]
    can_fire = or_(
        TIMERS.c.met_at.is_(None),
        and_(TIMERS.c.breach_fired_at.is_(None), TIMERS.c.met_at > TIMERS.c.due_at),
    )
    result = session.execute(
        select(*columns).where(among(session, TIMERS.c.ticket_id, ticket_ids), can_fire)
    )
    keys = list(result.keys())
    for row in result.all():
        timer = SimpleNamespace(**dict(zip(keys, row, strict=True)))
        timers[timer.ticket_id].append(timer)
    return timers


def _store(
    session: Session,
    timers: dict[int, list[SimpleNamespace]],
    now: datetime,
    escalation_at: dict[int, datetime | None],
) -> None:
    changed = [
        {"id": t.id, **{column: getattr(t, column) for column in FIRED_COLUMNS}}
        for group in timers.values()
        for t in group
        if t.warning_fired_at == now or t.breach_fired_at == now
    ]
    update_rows(session, TIMERS, changed)
    store_next_deadlines(
        session,
        {
            tid: earliest(next_deadline(group), escalation_at.get(tid))
            for tid, group in timers.items()
        },
    )


def sweep_batch(
    session: Session, *, now: datetime, batch_size: int = 2000
) -> SweepResult:
    """Fire the due events of one batch of tickets, in the caller's transaction."""
    skip_locked = session.get_bind().dialect.name == "postgresql"
    tickets = session.execute(
        due_tickets_query(now, batch_size, skip_locked=skip_locked)
    ).all()
    if not tickets:
        return SweepResult(0, 0)
    ticket_ids = [t.id for t in tickets]
    # Escalation rules first: one that fires restarts the ticket's timers.
    escalation_at = sweep_escalations(session, tickets, now=now)
    timers = _load_timers(session, ticket_ids)
    firings = fire(
        session, tickets, timers, now=now, recipients=recipients_for(session, tickets)
    )
    _store(session, timers, now, escalation_at)
    return SweepResult(len(tickets), firings)


def run_sweep(
    database,
    *,
    now: datetime,
    batch_size: int = 2000,
    max_batches: int = 1000,
    workers: int = 1,
) -> SweepResult:
    """Sweep until no due ticket is left, one transaction per batch.

    On PostgreSQL ``workers`` threads, each with its own connection, take
    batches side by side (locked rows are skipped, so no ticket is taken
    twice): one builds its rows while the server writes another's. SQLite
    writes one transaction at a time, so it always sweeps with one.
    ``max_batches`` bounds the batches of all workers together.
    """
    if database.engine.dialect.name != "postgresql":
        workers = 1
    budget = iter(range(max_batches))
    budget_lock = threading.Lock()

    def work() -> SweepResult:
        tickets = firings = 0
        while True:
            with budget_lock:
                if next(budget, None) is None:
                    break
            with database.session() as session:
                result = sweep_batch(session, now=now, batch_size=batch_size)
            tickets += result.tickets
            firings += result.firings
            # A short batch: what is left is due later, or another worker's.
            if result.tickets < batch_size:
                break
        return SweepResult(tickets, firings)

    if workers == 1:
        results = [work()]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="sla-sweep") as pool:
            results = list(pool.map(lambda _: work(), range(workers)))
    tickets = sum(result.tickets for result in results)
    firings = sum(result.firings for result in results)
    if tickets:
        logger.info("event=sla.sweep tickets=%d firings=%d", tickets, firings)
    return SweepResult(tickets, firings)
