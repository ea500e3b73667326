"""Firing SLA warnings and breaches, each exactly once.

A firing is a row in ``sla_firing`` whose unique key is (ticket, metric,
cycle, kind). It is inserted with ``ON CONFLICT DO NOTHING``; only the rows
actually inserted produce a ticket event and notifications, so two sweeps,
or a sweep and a ticket change, racing on the same ticket fire once between
them. A firing noticed more than :data:`LATE_AFTER` after its instant (the
engine was down, or a new target was already exhausted) is marked late.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from slaengine.models import OutboxMessage, SlaFiring, SlaTimer, Ticket, TicketEvent

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(seconds=60)
KIND_EVENT = {"warning": "sla.warning", "breach": "sla.breached"}


def due_firings(timer: SlaTimer, now: datetime) -> list[tuple[str, datetime]]:
    """The (kind, instant) firings of ``timer`` that are due and not yet fired."""
    if timer.met_at is not None and not (timer.due_at and timer.met_at > timer.due_at):
        return []
    due = []
    if (
        timer.warning_fired_at is None
        and timer.met_at is None
        and timer.warn_at is not None
        and timer.warn_at <= now
    ):
        due.append(("warning", timer.warn_at))
    if timer.breach_fired_at is None and timer.due_at is not None and timer.due_at <= now:
        due.append(("breach", timer.due_at))
    return due


def next_deadline(timers: Iterable[SlaTimer]) -> datetime | None:
    """The earliest instant at which one of ``timers`` has something to fire."""
    instants = []
    for timer in timers:
        if timer.met_at is not None:
            continue
        if timer.warning_fired_at is None and timer.warn_at is not None:
            instants.append(timer.warn_at)
        if timer.breach_fired_at is None and timer.due_at is not None:
            instants.append(timer.due_at)
    return min(instants, default=None)


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> set[tuple]:
    """Insert firing rows; return the keys of those this call inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SlaFiring)
        .on_conflict_do_nothing(index_elements=["ticket_id", "metric", "cycle", "kind"])
        .returning(SlaFiring.ticket_id, SlaFiring.metric, SlaFiring.cycle, SlaFiring.kind)
    )
    result = session.execute(statement, rows)
    return {tuple(row) for row in result}


def fire(
    session: Session,
    tickets: Sequence[Ticket],
    *,
    now: datetime,
    recipients: dict[int, list[str]],
) -> int:
    """Fire every due warning and breach of ``tickets`` (timers loaded).

    :param recipients: ticket id → addresses to notify (the assignee, else the
        leads of the ticket's center).
    :returns: how many firings this call made.
    """
    candidates = [
        (ticket, timer, kind, instant)
        for ticket in tickets
        for timer in ticket.timers
        for kind, instant in due_firings(timer, now)
    ]
    if not candidates:
        return 0
    rows = [
        {"ticket_id": t.id, "metric": timer.metric, "cycle": timer.cycle, "kind": kind,
         "due_at": instant, "fired_at": now, "late": now - instant > LATE_AFTER}
        for t, timer, kind, instant in candidates
    ]
    inserted = _insert_ignoring_duplicates(session, rows)
    events, outbox = [], []
    for ticket, timer, kind, instant in candidates:
        key = (ticket.id, timer.metric, timer.cycle, kind)
        if kind == "warning":
            timer.warning_fired_at = timer.warning_fired_at or now
        else:
            timer.breach_fired_at = timer.breach_fired_at or now
            timer.breached_at = instant
        if key not in inserted:
            continue
        late = now - instant > LATE_AFTER
        events.append(_event(ticket, timer, kind, instant, late, now))
        outbox.extend(_notifications(ticket, timer, kind, instant, late, now,
                                     recipients.get(ticket.id, [])))
        logger.info(
            "event=%s ticket=%s metric=%s due_at=%s late=%s",
            KIND_EVENT[kind], ticket.reference, timer.metric, instant.isoformat(), late,
        )
    session.add_all(events)
    session.add_all(outbox)
    return len(inserted)


def _event(ticket, timer, kind, instant, late, now) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket.id, at=now, actor_type="system", actor_name="SLA clock",
        kind=KIND_EVENT[kind],
        data={"metric": timer.metric, "cycle": timer.cycle, "due_at": instant.isoformat(),
              "late": late, "target_minutes": timer.target_minutes},
    )


def _notifications(ticket, timer, kind, instant, late, now, addresses) -> list[OutboxMessage]:
    metric = timer.metric.replace("_", " ")
    what = "is about to breach" if kind == "warning" else "has breached"
    subject = f"[{ticket.reference}] SLA {kind}: {metric} {what}"
    body = (
        f"Ticket {ticket.reference} ({ticket.priority}): {ticket.subject}\n"
        f"The {metric} commitment {what}; it is due at {timer.due_at or instant:%Y-%m-%d %H:%M} UTC.\n"
        + (f"This notice is late: it was due at {instant:%Y-%m-%d %H:%M:%S} UTC.\n" if late else "")
    )
    return [
        OutboxMessage(
            dedupe_key=f"sla:{ticket.id}:{timer.metric}:{timer.cycle}:{kind}:{address}",
            kind="email", ticket_id=ticket.id, recipient=address, subject=subject,
            body=body, headers={"Auto-Submitted": "auto-generated"},
            next_attempt_at=now, created_at=now,
        )
        for address in addresses
    ]
