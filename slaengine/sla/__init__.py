"""The SLA clock: timers on tickets, recomputed from the log, fired once.

:func:`refresh` runs after every change to a ticket (the ticket service calls
it) and recomputes the ticket's timers; the sweep (:mod:`slaengine.sla.sweep`)
fires what comes due between changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from slaengine import escalation
from slaengine.models import SlaTimer, Ticket, TicketDeadline, TicketEvent, User
from slaengine.policies import Targets, default_policies, select_policy
from slaengine.policies.model import TIER_METRICS
from slaengine.sla.calendars import calendar_named, round_the_clock
from slaengine.sla.firing import fire, next_deadline
from slaengine.sla.rows import insert_rows
from slaengine.sla.timeline import read_timeline
from slaengine.sla.timers import TimerState, compute_timers

NOTIFY_ROLES = ("lead", "manager")


def targets_for(ticket: Ticket) -> Targets:
    """The targets in force for ``ticket`` (its priority and account tier)."""
    account_tier = ticket.organization.account_tier if ticket.organization else None
    policy = select_policy(default_policies(), account_tier)
    return policy.targets_for(ticket.priority, account_tier)


def evaluate(session: Session, ticket: Ticket, *, now: datetime) -> list[TimerState]:
    """Recompute the ticket's timers from its event log (no writes)."""
    events = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    targets = targets_for(ticket)
    timeline = read_timeline(ticket.created_at, events)
    return compute_timers(
        timeline,
        targets,
        calendar_named(targets.calendar, ticket.center),
        now=now,
        round_the_clock=round_the_clock(),
    )


def _store(session: Session, ticket: Ticket, states: Sequence[TimerState]) -> None:
    rows = {timer.metric: timer for timer in ticket.timers}
    priority_calendar = targets_for(ticket).calendar
    for state in states:
        row = rows.get(state.metric)
        if row is None:
            row = SlaTimer(ticket=ticket, metric=state.metric, calendar="")
            session.add(row)
        if row.cycle != state.cycle:
            row.warning_fired_at = row.breach_fired_at = row.breached_at = None
        row.cycle = state.cycle
        row.state = state.state
        # Tier and executive response timers always run round the clock.
        row.calendar = "24x7" if state.metric in TIER_METRICS else priority_calendar
        row.target_minutes = state.target_minutes
        row.started_at = state.started_at
        row.due_at = state.due_at
        row.warn_at = state.warn_at
        row.met_at = state.met_at
        row.used_minutes = state.used_minutes
        if state.state != "breached":
            row.breached_at = None
        elif state.due_at is not None:
            row.breached_at = state.due_at


def recipients_for(session: Session, tickets: Sequence[Any]) -> dict[int, list[str]]:
    """Who hears about a ticket's SLA: its assignee, else its center's leads.

    ``tickets`` need ``id``, ``center`` and ``assignee_id`` (ORM or rows).
    """
    assignee_ids = {t.assignee_id for t in tickets if t.assignee_id is not None}
    centers = {t.center for t in tickets if t.assignee_id is None and t.center}
    emails = (
        dict(
            session.execute(
                select(User.id, User.email).where(
                    User.id.in_(assignee_ids), User.active.is_(True)
                )
            ).all()
        )
        if assignee_ids
        else {}
    )
    leads: dict[str, list[str]] = {center: [] for center in centers}
    if centers:
        rows = session.execute(
            select(User.center, User.email)
            .where(
                User.active.is_(True),
                User.role.in_(NOTIFY_ROLES),
                User.center.in_(centers),
            )
            .order_by(User.id)
        )
        for center, email in rows:
            leads[center].append(email)
    return {
        t.id: [emails[t.assignee_id]]
        if t.assignee_id in emails
        else leads.get(t.center, [])
        for t in tickets
    }


def store_next_deadlines(
    session: Session, deadlines: Mapping[int, datetime | None]
) -> None:
    """Set tickets' next deadlines: ticket id → instant, None for nothing due.

    The one writer of ``ticket_deadline`` (read as
    ``Ticket.next_deadline_at``), for a ticket just changed and for a
    sweep's batch alike. Tickets already loaded in ``session`` see the new
    instant without reading it back.
    """
    insert_rows(
        session,
        TicketDeadline.__table__,
        [{"ticket_id": tid, "next_deadline_at": at} for tid, at in deadlines.items()],
        replace_on=["ticket_id"],
    )
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Ticket) and loaded.id in deadlines:
            set_committed_value(loaded, "next_deadline_at", deadlines[loaded.id])


def refresh(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Recompute, store and fire the ticket's timers; set its next deadline.

    The ticket's escalation rule (:mod:`slaengine.escalation`) is fired here
    too, and its instant counts towards the next deadline.
    """
    session.flush()
    # An escalation rule that fires starts a response timer: fire it first.
    escalation_at = escalation.apply_escalation_rule(session, ticket, now=now)
    _store(session, ticket, evaluate(session, ticket, now=now))
    session.flush()
    fire(
        session,
        [ticket],
        {ticket.id: ticket.timers},
        now=now,
        recipients=recipients_for(session, [ticket]),
    )
    upcoming = escalation.earliest(next_deadline(ticket.timers), escalation_at)
    store_next_deadlines(session, {ticket.id: upcoming})
