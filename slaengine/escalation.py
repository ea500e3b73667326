"""Moving tickets up: agents' escalations, customers' requests, the rules.

Three ways up, all recorded in the ticket's timeline:

- :func:`escalate`: an agent moves the ticket to the next tier with a
  reason; from tier 3, a ticket whose priority escalates to executives
  (critical, by default) goes to the executives.
- :func:`request_escalation`: a customer asks; the center's leads hear of
  it, and where the policy escalates only on request (low, by default) the
  ticket moves to the next tier.
- The escalation rule of the ticket's policy (``escalation`` per priority,
  ``{action, after}``): ``notify_executives``, ``notify_management`` or
  ``next_tier`` once the ticket has been unresolved for ``after`` on its
  priority's calendar. Time in ``pending`` (waiting on the customer) and in
  ``solved`` before a reopen does not count, as for the resolution timer.

A rule fires exactly once per ticket: it claims the row (ticket,
``escalation``, 1, action) in ``sla_firing`` before acting, so two sweeps,
or a sweep and an agent's change, cannot both act; one noticed late (the
engine was down) still fires, marked with when it was due. The SLA clock
calls :func:`apply_escalation_rule` on every change to a ticket and
:func:`sweep_escalations` from its sweep, and keeps the rule's instant in
the ticket's ``next_deadline_at``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from slaengine import sla
from slaengine import tickets as ticket_service
from slaengine.calendars import BusinessCalendar
from slaengine.clock import utcnow
from slaengine.errors import Conflict, InvalidInput, StaleVersion
from slaengine.events import Actor, record_event
from slaengine.models import Customer, Organization, SlaFiring, Ticket, TicketEvent
from slaengine.outbox import staff_emails
from slaengine.policies import default_policies, select_policy
from slaengine.policies.model import Escalation
from slaengine.routing.assignment import assign_automatically
from slaengine.routing.notices import notify
from slaengine.sla.calendars import calendar_named
from slaengine.sla.firing import LATE_AFTER
from slaengine.sla.rows import among
from slaengine.sla.timeline import Timeline, read_timeline
from slaengine.webhooks import enqueue_webhooks

logger = logging.getLogger(__name__)

METRIC = "escalation"
CYCLE = 1
AUTOMATIC_ACTIONS = ("notify_executives", "notify_management", "next_tier")
MANAGEMENT_ROLES = ("lead", "manager")
EXECUTIVE_ROLES = ("executive",)
RULES = Actor.system("escalation rules")
DONE = ("solved", "closed")
MAX_REASON = 2000


def earliest(*instants: datetime | None) -> datetime | None:
    """The earliest of the instants given, ignoring None."""
    return min((at for at in instants if at is not None), default=None)


def rule_due_at(
    rule: Escalation, timeline: Timeline, calendar: BusinessCalendar
) -> datetime | None:
    """When the escalation rule comes due for a ticket with this timeline.

    :returns: the instant at which the ticket has been unresolved for
        ``rule.after_minutes`` on ``calendar``, pending time and time spent
        solved before a reopen left out; None for a rule without a
        threshold, a solved or closed ticket, or one paused before then.

    Limitations: business-calendar rules (medium) count only the home
    center's open hours, so a holiday or a weekend moves them; 24x7 rules
    count real elapsed time, 23 or 25 hours on DST change days.
    """
    if rule.after_minutes is None or timeline.is_done:
        return None
    pauses = list(timeline.pending) + [i for i in timeline.solved if i[1] is not None]
    return calendar.add_business_minutes(
        timeline.created_at, rule.after_minutes, pauses=pauses
    )


def _rule_applies(ticket: Any, rule: Escalation) -> bool:
    """Whether the rule can still act on the ticket (ORM object or row)."""
    if rule.action not in AUTOMATIC_ACTIONS or ticket.status in DONE:
        return False
    if rule.action == "next_tier" and ticket.tier >= 3:
        return False
    return not (rule.action == "notify_executives" and ticket.escalated_to_executives)


def _targets(priority: str, account_tier: str | None):
    return select_policy(default_policies(), account_tier).targets_for(
        priority, account_tier
    )


def _fired_actions(session: Session, ticket_ids: Sequence[int]) -> set[tuple[int, str]]:
    rows = session.execute(
        select(SlaFiring.ticket_id, SlaFiring.kind).where(
            among(session, SlaFiring.ticket_id, ticket_ids), SlaFiring.metric == METRIC
        )
    )
    return {(ticket_id, kind) for ticket_id, kind in rows}


def _claim(
    session: Session, ticket: Ticket, action: str, due_at: datetime, now: datetime
) -> bool:
    """Insert the firing row; True only for the one caller that inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SlaFiring)
        .values(
            ticket_id=ticket.id,
            metric=METRIC,
            cycle=CYCLE,
            kind=action,
            due_at=due_at,
            fired_at=now,
            late=now - due_at > LATE_AFTER,
        )
        .on_conflict_do_nothing(index_elements=["ticket_id", "metric", "cycle", "kind"])
        .returning(SlaFiring.id)
    )
    return session.execute(statement).first() is not None


def _timeline(session: Session, ticket: Ticket) -> Timeline:
    events = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return read_timeline(ticket.created_at, events)


def _fire_rule(
    session: Session, ticket: Ticket, *, now: datetime
) -> tuple[bool, datetime | None]:
    """Fire the ticket's rule if due: (whether it fired here, instant still ahead)."""
    account_tier = ticket.organization.account_tier if ticket.organization else None
    targets = _targets(ticket.priority, account_tier)
    rule = targets.escalation
    if not _rule_applies(ticket, rule):
        return False, None
    if (ticket.id, rule.action) in _fired_actions(session, [ticket.id]):
        return False, None
    calendar = calendar_named(targets.calendar, ticket.center)
    due_at = rule_due_at(rule, _timeline(session, ticket), calendar)
    if due_at is None or due_at > now:
        return False, due_at
    if not _claim(session, ticket, rule.action, due_at, now):
        return False, None
    late = now - due_at > LATE_AFTER
    hours = f"{rule.after_minutes / 60:g} h"
    reason = f"unresolved {hours} after it was opened"
    ACTIONS[rule.action](
        session,
        ticket,
        actor=RULES,
        reason=reason,
        now=now,
        rule={"due_at": due_at.isoformat(), "late": late},
    )
    if rule.action != "notify_management":
        ticket.version += 1
    logger.info(
        "event=escalation.fired ticket=%s action=%s due_at=%s late=%s",
        ticket.reference,
        rule.action,
        due_at.isoformat(),
        late,
    )
    return True, None


def apply_escalation_rule(
    session: Session, ticket: Ticket, *, now: datetime
) -> datetime | None:
    """Fire the ticket's escalation rule if it is due at ``now``.

    Called by the SLA clock on every change to the ticket, before its
    timers are recomputed (an escalation starts a response timer).

    :returns: the instant the rule comes due, while it is still ahead;
        None once it has fired, or when it has nothing to wait for.
    """
    return _fire_rule(session, ticket, now=now)[1]


def sweep_escalations(
    session: Session, tickets: Sequence[Any], *, now: datetime
) -> dict[int, datetime | None]:
    """Fire the due escalation rules among ``tickets`` (the sweep's batch).

    ``tickets`` are rows with the ticket's ``id``, ``priority``, ``status``,
    ``tier``, ``center``, ``created_at``, ``escalated_to_executives`` and
    ``organization_id``. A ticket whose rule fires has its SLA timers
    recomputed at once. Only tickets whose threshold has passed, ignoring
    pauses, have their event log read: pauses only ever delay a rule.

    :returns: ticket id → the instant its rule comes due, where still ahead.
    """
    if not tickets:
        return {}
    organization_ids = {t.organization_id for t in tickets} - {None}
    account_tiers = dict(
        session.execute(
            select(Organization.id, Organization.account_tier).where(
                among(session, Organization.id, list(organization_ids))
            )
        ).all()
    )
    fired = _fired_actions(session, [row.id for row in tickets])
    upcoming: dict[int, datetime | None] = {}
    passed = []
    for row in tickets:
        targets = _targets(row.priority, account_tiers.get(row.organization_id))
        rule = targets.escalation
        if not _rule_applies(row, rule) or (row.id, rule.action) in fired:
            continue
        calendar = calendar_named(targets.calendar, row.center)
        threshold = calendar.add_business_minutes(row.created_at, rule.after_minutes)
        if threshold > now:
            upcoming[row.id] = threshold
        else:
            passed.append(row.id)
    for ticket in session.scalars(
        select(Ticket).where(Ticket.id.in_(passed)).order_by(Ticket.id)
    ):
        did_fire, upcoming[ticket.id] = _fire_rule(session, ticket, now=now)
        if did_fire:
            sla.refresh(session, ticket, now=now)
    session.flush()
    return upcoming


# -- the actions ---------------------------------------------------------------


def _notify_executives(session, ticket, *, actor, reason, now, rule=None) -> None:
    ticket.escalated_to_executives = True
    event = record_event(
        session,
        ticket,
        actor,
        "executives_escalated",
        at=now,
        field="escalated_to_executives",
        before=False,
        after=True,
        data={"reason": reason, **(rule or {})},
    )
    session.flush()
    minutes = _targets_of(ticket).minutes.get("executive_response")
    expected = (
        [f"An executive response is expected within {minutes:g} minutes."]
        if minutes
        else []
    )
    notify(
        session,
        ticket,
        cause=f"escalation:{ticket.id}:notify_executives",
        recipients=staff_emails(session, center=None, roles=EXECUTIVE_ROLES),
        headline="Escalated to executives",
        lines=[
            f"What happened: escalated to executives by {actor.name}: {reason}.",
            *_late_line(rule),
            *expected,
        ],
        now=now,
    )
    _tell_webhooks(
        session,
        ticket,
        before=(ticket.tier, False),
        actor=actor,
        reason=reason,
        now=now,
    )
    logger.info(
        "event=escalation.executives ticket=%s event_id=%s", ticket.reference, event.id
    )


def _notify_management(session, ticket, *, actor, reason, now, rule=None) -> None:
    record_event(
        session,
        ticket,
        actor,
        "management_notified",
        at=now,
        data={"reason": reason, **(rule or {})},
    )
    notify(
        session,
        ticket,
        cause=f"escalation:{ticket.id}:notify_management",
        recipients=staff_emails(session, center=ticket.center, roles=MANAGEMENT_ROLES),
        headline="Management escalation",
        lines=[
            f"What happened: management notified by {actor.name}: {reason}.",
            *_late_line(rule),
        ],
        now=now,
    )


def _next_tier(session, ticket, *, actor, reason, now, rule=None) -> None:
    before = ticket.tier
    ticket.tier = before + 1
    event = record_event(
        session,
        ticket,
        actor,
        "escalated",
        at=now,
        field="tier",
        before=before,
        after=ticket.tier,
        data={"reason": reason, **(rule or {})},
    )
    assignee = assign_automatically(session, ticket, now=now)
    session.flush()
    recipients = (
        [assignee.email]
        if assignee
        else staff_emails(session, center=ticket.center, roles=("lead",))
    )
    minutes = _targets_of(ticket).minutes.get(f"tier{ticket.tier}_response")
    expected = (
        [f"Tier {ticket.tier} is expected to engage within {minutes:g} minutes."]
        if minutes
        else []
    )
    notify(
        session,
        ticket,
        cause=f"escalation:{ticket.id}:event{event.id}",
        recipients=recipients,
        headline=f"Escalated to tier {ticket.tier}",
        lines=[
            f"What happened: escalated from tier {before} to tier {ticket.tier} "
            f"by {actor.name}: {reason}.",
            "Assigned to you." if assignee else "Waiting unassigned in the queue.",
            *_late_line(rule),
            *expected,
        ],
        now=now,
    )
    _tell_webhooks(
        session,
        ticket,
        before=(before, ticket.escalated_to_executives),
        actor=actor,
        reason=reason,
        now=now,
    )
    logger.info(
        "event=escalation.tier ticket=%s from=%s to=%s",
        ticket.reference,
        before,
        ticket.tier,
    )


def _tell_webhooks(session, ticket, *, before, actor, reason, now) -> None:
    """One ``escalation`` webhook event, whoever or whatever escalated."""
    payload = {
        "from_tier": before[0],
        "to_tier": ticket.tier,
        "executives": ticket.escalated_to_executives,
        "reason": reason,
        "by": actor.name,
    }
    enqueue_webhooks(session, ticket, "escalation", payload, now)


ACTIONS = {
    "notify_executives": _notify_executives,
    "notify_management": _notify_management,
    "next_tier": _next_tier,
}


def _targets_of(ticket: Ticket):
    account_tier = ticket.organization.account_tier if ticket.organization else None
    return _targets(ticket.priority, account_tier)


def _late_line(rule: dict | None) -> list[str]:
    if rule and rule.get("late"):
        return [f"This escalation is late: it was due at {rule['due_at']}."]
    return []


# -- the services ----------------------------------------------------------------


def _check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("reason: an escalation needs a reason", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(
            f"reason: longer than {MAX_REASON} characters", field="reason"
        )
    return text


def _check_open(ticket: Ticket) -> None:
    if ticket.status in DONE:
        raise Conflict(
            f"ticket {ticket.reference} is {ticket.status}: reopen it to escalate"
        )


def escalate(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """An agent moves ``ticket`` up: to the next tier, or from tier 3 to executives.

    The new tier's response timer starts; the ticket goes to an agent of the
    new tier on shift (or its queue) and the new assignee, else the center's
    leads, are told. Executives are the step after tier 3 for the priorities
    whose policy escalates to them (critical, by default).

    :raises InvalidInput: for an empty reason or an actor who is not staff.
    :raises Conflict: for a solved or closed ticket, or one with no step left.
    :raises StaleVersion: when ``expected_version`` is not the ticket's.
    """
    now = now or utcnow()
    if expected_version is not None and expected_version != ticket.version:
        raise StaleVersion(ticket.id, expected_version, ticket.version)
    reason = _check_reason(reason)
    if not actor.is_staff:
        raise InvalidInput("actor: only staff can escalate a ticket", field="actor")
    _check_open(ticket)
    if ticket.tier < 3:
        _next_tier(session, ticket, actor=actor, reason=reason, now=now)
    elif _targets_of(ticket).escalation.action == "notify_executives":
        if ticket.escalated_to_executives:
            raise Conflict(f"ticket {ticket.reference} is already with the executives")
        _notify_executives(session, ticket, actor=actor, reason=reason, now=now)
    else:
        raise Conflict(
            f"ticket {ticket.reference} is at tier 3, the last step for a "
            f"{ticket.priority} ticket"
        )
    ticket_service.save_change(session, ticket, now)
    return ticket


def request_escalation(
    session: Session,
    ticket: Ticket,
    *,
    customer: Customer,
    reason: str,
    now: datetime | None = None,
) -> Ticket:
    """A customer asks for ``ticket`` to be escalated.

    Records a ``customer_escalation_request`` event and tells the leads of
    the ticket's center. Where the policy escalates only on request (low,
    by default) the ticket also moves to the next tier, up to tier 3.

    :raises InvalidInput: for an empty reason, or a customer who is neither
        the requester nor a member of the ticket's organization.
    :raises Conflict: for a solved or closed ticket.
    """
    now = now or utcnow()
    reason = _check_reason(reason)
    same_org = ticket.organization_id is not None and (
        customer.organization_id == ticket.organization_id
    )
    if customer.id != ticket.requester_id and not same_org:
        raise InvalidInput(
            f"customer: {customer.email} is not a party to ticket {ticket.reference}",
            field="customer",
        )
    _check_open(ticket)
    actor = Actor.for_customer(customer)
    event = record_event(
        session,
        ticket,
        actor,
        "customer_escalation_request",
        at=now,
        data={"reason": reason},
    )
    session.flush()
    notify(
        session,
        ticket,
        cause=f"escalation-request:{ticket.id}:event{event.id}",
        recipients=staff_emails(session, center=ticket.center, roles=("lead",)),
        headline="Customer asks for escalation",
        lines=[f"What happened: {actor.name} asked for an escalation: {reason}."],
        now=now,
    )
    if _targets_of(ticket).escalation.action == "customer_request" and ticket.tier < 3:
        _next_tier(
            session, ticket, actor=RULES, reason=f"customer request: {reason}", now=now
        )
    ticket_service.save_change(session, ticket, now)
    return ticket
