"""Firing SLA warnings and breaches, each exactly once.

A firing is a row in ``sla_firing`` whose unique key is (ticket, metric,
cycle, kind). It is inserted with ``ON CONFLICT DO NOTHING``; only the rows
actually inserted produce a ticket event and notifications, so two sweeps,
or a sweep and a ticket change, racing on the same ticket fire once between
them. A firing noticed more than :data:`LATE_AFTER` after its instant (the
engine was down, or a new target was already exhausted) is marked late.

:func:`fire` works on anything shaped like a ticket (``id``, ``priority``,
``subject``) and like a timer (the :class:`~slaengine.models.SlaTimer`
columns): ORM objects after a change, plain rows in the sweep. It writes
firings, events and mail with bulk inserts and records what fired on the
timer objects; persisting those is the caller's job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from slaengine.models import OutboxMessage, SlaFiring, TicketEvent
from slaengine.routing.notices import ticket_link
from slaengine.sla.rows import insert_rows
from slaengine.webhooks import active_webhooks, enqueue_webhooks

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(seconds=60)
KIND_EVENT = {"warning": "sla.warning", "breach": "sla.breached"}
# What every event and mail of the clock has in common, written once a batch.
CLOCK_EVENT = {
    "actor_type": "system",
    "actor_id": None,
    "actor_name": "SLA clock",
    "field": None,
    "before": None,
    "after": None,
}
CLOCK_MAIL = {
    "kind": "email",
    "headers": {"Auto-Submitted": "auto-generated"},
    "status": "pending",
    "attempts": 0,
}


class TicketLike(Protocol):
    id: int
    priority: str
    subject: str


def due_firings(timer: Any, now: datetime) -> list[tuple[str, datetime]]:
    """The (kind, instant) firings of ``timer`` that are due and not yet fired.

    A warning only fires while the commitment is still open; a breach also
    fires for a commitment met after its due instant, so that reports see it.
    """
    met_late = (
        timer.met_at is not None
        and timer.due_at is not None
        and (timer.met_at > timer.due_at)
    )
    if timer.met_at is not None and not met_late:
        return []
    due = []
    if (
        timer.warning_fired_at is None
        and timer.met_at is None
        and timer.warn_at is not None
        and timer.warn_at <= now
    ):
        due.append(("warning", timer.warn_at))
    if (
        timer.breach_fired_at is None
        and timer.due_at is not None
        and timer.due_at <= now
    ):
        due.append(("breach", timer.due_at))
    return due


def next_deadline(timers: Iterable[Any]) -> datetime | None:
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


def _insert_firings(session: Session, rows: list[dict], now: datetime) -> set[tuple]:
    """Insert firing rows; the keys of those this call inserted, not another."""
    key = ["ticket_id", "metric", "cycle", "kind"]
    inserted = insert_rows(
        session,
        SlaFiring.__table__,
        rows,
        common={"fired_at": now},
        skip_conflicts_on=key,
        returning=key,
    )
    return set(inserted)


def fire(
    session: Session,
    tickets: Sequence[TicketLike],
    timers: Mapping[int, Sequence[Any]],
    *,
    now: datetime,
    recipients: Mapping[int, Sequence[str]],
) -> int:
    """Fire every due warning and breach of ``tickets``.

    :param timers: ticket id → its timers; ``warning_fired_at``,
        ``breach_fired_at`` and ``breached_at`` are set on them here.
    :param recipients: ticket id → addresses to notify.
    :returns: how many firings this call made (others may have made the rest).
    """
    candidates = [
        (ticket, timer, kind, instant)
        for ticket in tickets
        for timer in timers.get(ticket.id, ())
        for kind, instant in due_firings(timer, now)
    ]
    if not candidates:
        return 0
    inserted = _insert_firings(
        session,
        [
            {
                "ticket_id": t.id,
                "metric": timer.metric,
                "cycle": timer.cycle,
                "kind": kind,
                "due_at": instant,
                "late": now - instant > LATE_AFTER,
            }
            for t, timer, kind, instant in candidates
        ],
        now,
    )
    events, mails = [], []
    subscriptions = active_webhooks(session) if inserted else []
    for ticket, timer, kind, instant in candidates:
        if kind == "warning":
            timer.warning_fired_at = timer.warning_fired_at or now
        else:
            timer.breach_fired_at = timer.breach_fired_at or now
            timer.breached_at = instant
            if timer.met_at is None:
                timer.state = "breached"
        if (ticket.id, timer.metric, timer.cycle, kind) not in inserted:
            continue
        late = now - instant > LATE_AFTER
        events.append(_event_row(ticket, timer, kind, instant, late))
        mails.extend(
            _mail_rows(
                ticket,
                timer,
                kind,
                instant,
                late,
                recipients.get(ticket.id, ()),
                ticket_link(session, ticket),
            )
        )
        logger.info(
            "event=%s ticket=#%s metric=%s due_at=%s late=%s",
            KIND_EVENT[kind],
            ticket.id,
            timer.metric,
            instant.isoformat(),
            late,
        )
        if subscriptions:
            enqueue_webhooks(
                session,
                ticket,
                f"sla.{kind}",
                {"metric": timer.metric, "due_at": instant.isoformat(), "late": late},
                now,
                subscriptions=subscriptions,
            )
    insert_rows(
        session, TicketEvent.__table__, events, common={"at": now, **CLOCK_EVENT}
    )
    insert_rows(
        session,
        OutboxMessage.__table__,
        mails,
        common={**CLOCK_MAIL, "next_attempt_at": now, "created_at": now},
        skip_conflicts_on=["dedupe_key"],
    )
    return len(inserted)


def _event_row(ticket, timer, kind, instant, late) -> dict:
    return {
        "ticket_id": ticket.id,
        "kind": KIND_EVENT[kind],
        "data": {
            "metric": timer.metric,
            "cycle": timer.cycle,
            "due_at": instant.isoformat(),
            "late": late,
            "target_minutes": timer.target_minutes,
        },
    }


def _mail_rows(ticket, timer, kind, instant, late, addresses, link) -> list[dict]:
    metric = timer.metric.replace("_", " ")
    what = "is about to breach" if kind == "warning" else "has breached"
    due = (timer.due_at or instant).isoformat(" ", "minutes")[:16]
    body = (
        f"Ticket #{ticket.id} ({ticket.priority}): {ticket.subject}\n"
        f"The {metric} commitment {what}; it is due at {due} UTC.\n"
    )
    if late:
        body += (
            f"This notice is late: it was due at "
            f"{instant.isoformat(' ', 'seconds')[:19]} UTC.\n"
        )
    body += f"Open the ticket: {link}\n"
    return [
        {
            "dedupe_key": (
                f"sla:{ticket.id}:{timer.metric}:{timer.cycle}:{kind}:{address}"
            ),
            "ticket_id": ticket.id,
            "recipient": address,
            "subject": f"[#{ticket.id}] SLA {kind}: {metric} {what}",
            "body": body,
        }
        for address in addresses
    ]
