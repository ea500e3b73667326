"""Escalation: agents, customers and the policy's rules, each exactly once."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from slaengine import escalation
from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.errors import Conflict, InvalidInput
from slaengine.events import Actor
from slaengine.models import OutboxMessage, SlaFiring, Ticket, TicketEvent
from slaengine.people import create_organization, create_user
from slaengine.sla.sweep import run_sweep, sweep_batch
from tests.timepoints import utc

START = utc(2026, 12, 2, 15, 0)  # Wed 15:00 Dublin (GMT), in peak


def kinds(session, ticket):
    return [
        e.kind
        for e in session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    ]


def mails(session, ticket=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if ticket is not None:
        query = query.where(OutboxMessage.ticket_id == ticket.id)
    return list(session.scalars(query))


@pytest.fixture
def staff(make_user):
    return {
        "cco": make_user(
            email="cco@support.example", role="executive", center=None, tier=None
        ),
        "lead": make_user(email="lead@support.example", role="lead", tier=2),
        "manager": make_user(
            email="manager@support.example", role="manager", tier=None
        ),
        "other_lead": make_user(
            email="lead.austin@support.example", role="lead", center="americas", tier=2
        ),
    }


@pytest.fixture
def org(make_organization):
    return make_organization(name="Rheinwerk", region="emea", email_domain="rw.example")


def open_ticket(make_ticket, org, priority, at=START):
    return make_ticket(
        priority=priority, organization=org, requester_email="kim@rw.example", now=at
    )


def test_critical_escalates_to_executives_at_one_hour_exactly(
    db_session, make_ticket, org, staff, frozen_clock
):
    frozen_clock.move_to(START)
    ticket = open_ticket(make_ticket, org, "critical", utcnow())
    assert ticket.next_deadline_at <= START + timedelta(hours=1)

    frozen_clock.move_to(START + timedelta(minutes=59, seconds=59))
    sweep_batch(db_session, now=utcnow())
    assert not ticket.escalated_to_executives

    frozen_clock.move_to(START + timedelta(hours=1))
    sweep_batch(db_session, now=utcnow())
    db_session.refresh(ticket)
    assert ticket.escalated_to_executives
    (event,) = list(
        db_session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.kind == "executives_escalated",
            )
        )
    )
    assert event.at == START + timedelta(hours=1)
    assert event.data["late"] is False
    (mail,) = [
        m for m in mails(db_session, ticket) if m.recipient == "cco@support.example"
    ]
    assert "Escalated to executives" in mail.subject
    assert "unresolved 1 h after it was opened" in mail.body
    assert "At risk: " in mail.body
    assert f"/agent/tickets/{ticket.id}" in mail.body
    # The executive response timer started with the escalation.
    timer = next(t for t in ticket.timers if t.metric == "executive_response")
    assert timer.started_at == START + timedelta(hours=1)
    assert timer.due_at == START + timedelta(hours=1, minutes=30)


def test_solved_one_second_before_the_threshold_never_escalates(
    db_session, make_ticket, org, staff, as_agent, frozen_clock
):
    frozen_clock.move_to(START)
    ticket = open_ticket(make_ticket, org, "critical", utcnow())
    frozen_clock.move_to(START + timedelta(hours=1, seconds=-1))
    ticket_service.change_status(db_session, ticket, "solved", actor=as_agent)
    frozen_clock.move_to(START + timedelta(hours=3))
    sweep_batch(db_session, now=utcnow())
    assert "executives_escalated" not in kinds(db_session, ticket)
    assert not db_session.scalar(
        select(SlaFiring.id).where(SlaFiring.metric == "escalation")
    )


def test_pending_time_does_not_count_towards_the_threshold(
    db_session, make_ticket, org, staff, as_agent, frozen_clock
):
    frozen_clock.move_to(START)
    ticket = open_ticket(make_ticket, org, "critical", utcnow())
    frozen_clock.move_to(START + timedelta(minutes=30))
    ticket_service.add_message(
        db_session,
        ticket,
        body="Logs please",
        public=True,
        actor=as_agent,
        set_status="pending",
    )
    frozen_clock.move_to(START + timedelta(hours=2))
    sweep_batch(db_session, now=utcnow())
    assert not ticket.escalated_to_executives  # paused: 30 minutes used
    ticket_service.add_message(
        db_session,
        ticket,
        body="Here",
        public=True,
        actor=Actor.for_customer(ticket.requester),
    )
    assert ticket.next_deadline_at <= START + timedelta(hours=2, minutes=30)
    frozen_clock.move_to(START + timedelta(hours=2, minutes=30))
    sweep_batch(db_session, now=utcnow())
    db_session.refresh(ticket)
    assert ticket.escalated_to_executives


def test_high_notifies_management_of_its_center_at_four_hours(
    db_session, make_ticket, org, staff, frozen_clock
):
    frozen_clock.move_to(START)
    ticket = open_ticket(make_ticket, org, "high", utcnow())
    frozen_clock.move_to(START + timedelta(hours=4))
    sweep_batch(db_session, now=utcnow())
    assert "management_notified" in kinds(db_session, ticket)
    recipients = {
        m.recipient
        for m in mails(db_session, ticket)
        if "Management escalation" in m.subject
    }
    assert recipients == {"lead@support.example", "manager@support.example"}
    assert not ticket.escalated_to_executives
    assert ticket.tier == 1


def test_medium_moves_up_a_tier_after_24_business_hours(
    db_session, make_ticket, org, staff, frozen_clock
):
    # Wed 15:00 Dublin; 24 business hours of 12 a day: Fri 15:00.
    frozen_clock.move_to(START)
    ticket = open_ticket(make_ticket, org, "medium", utcnow())
    frozen_clock.move_to(utc(2026, 12, 4, 14, 59))
    sweep_batch(db_session, now=utcnow())
    assert ticket.tier == 1
    frozen_clock.move_to(utc(2026, 12, 4, 15, 0))
    sweep_batch(db_session, now=utcnow())
    db_session.refresh(ticket)
    assert ticket.tier == 2
    event = db_session.scalar(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "escalated"
        )
    )
    assert event.actor_name == "escalation rules"
    assert (event.before, event.after) == (
        1,
        2,
    )


def test_medium_threshold_follows_dublin_across_fall_back_and_a_holiday(
    db_session, make_ticket, org, staff, frozen_clock
):
    """Fri 23 Oct 2026 10:00 IST. 24 business hours: Friday 10:00-20:00 (10 h);
    Mon 26 is both the first GMT weekday and the October bank holiday; Tuesday
    08:00-20:00 GMT (12 h); Wednesday 08:00-10:00 (2 h)."""
    frozen_clock.move_to(utc(2026, 10, 23, 9, 0))
    ticket = open_ticket(make_ticket, org, "medium", utcnow())
    frozen_clock.move_to(utc(2026, 10, 28, 9, 59, 59))
    sweep_batch(db_session, now=utcnow())
    assert ticket.tier == 1
    frozen_clock.move_to(utc(2026, 10, 28, 10, 0))  # Wed 10:00 GMT
    sweep_batch(db_session, now=utcnow())
    db_session.refresh(ticket)
    assert ticket.tier == 2


def test_low_never_escalates_on_its_own(
    db_session, make_ticket, org, staff, frozen_clock
):
    frozen_clock.move_to(START)
    ticket = open_ticket(make_ticket, org, "low", utcnow())
    frozen_clock.move_to(START + timedelta(days=30))
    sweep_batch(db_session, now=utcnow())
    ticket_service.set_tags(db_session, ticket, ["nudge"], actor=Actor.system())
    assert ticket.tier == 1
    assert not db_session.scalar(
        select(SlaFiring.id).where(SlaFiring.metric == "escalation")
    )


def test_customer_request_escalates_low_and_tells_the_lead(
    db_session, make_ticket, org, staff
):
    ticket = open_ticket(make_ticket, org, "low")
    escalation.request_escalation(
        db_session,
        ticket,
        customer=ticket.requester,
        reason="Blocking our launch",
        now=START + timedelta(hours=1),
    )
    assert ticket.tier == 2
    log = kinds(db_session, ticket)
    assert log.index("customer_escalation_request") < log.index("escalated")
    subjects = {
        (m.recipient, m.subject.split(":")[0]) for m in mails(db_session, ticket)
    }
    assert (
        "lead@support.example",
        f"[{ticket.reference}] Customer asks for escalation",
    ) in (subjects)


def test_customer_request_on_medium_only_notifies(db_session, make_ticket, org, staff):
    ticket = open_ticket(make_ticket, org, "medium")
    escalation.request_escalation(
        db_session,
        ticket,
        customer=ticket.requester,
        reason="Please hurry",
        now=START + timedelta(hours=1),
    )
    assert ticket.tier == 1
    assert "customer_escalation_request" in kinds(db_session, ticket)


def test_customer_request_bad_input_changes_nothing(
    db_session, make_ticket, org, staff, make_organization
):
    ticket = open_ticket(make_ticket, org, "low")
    before = (ticket.tier, ticket.version, len(kinds(db_session, ticket)))
    with pytest.raises(InvalidInput) as caught:
        escalation.request_escalation(
            db_session, ticket, customer=ticket.requester, reason="  ", now=START
        )
    assert caught.value.field == "reason"
    stranger_org = make_organization(name="Other", email_domain="other.example")
    stranger = make_ticket(requester_email="x@other.example", organization=stranger_org)
    with pytest.raises(InvalidInput) as caught:
        escalation.request_escalation(
            db_session, ticket, customer=stranger.requester, reason="me too", now=START
        )
    assert caught.value.field == "customer"
    assert (ticket.tier, ticket.version, len(kinds(db_session, ticket))) == before


def test_agent_escalates_tier_by_tier_then_to_executives(
    db_session, make_ticket, org, staff, as_agent
):
    ticket = open_ticket(make_ticket, org, "critical")
    at = START + timedelta(minutes=5)
    escalation.escalate(
        db_session, ticket, actor=as_agent, reason="Needs a DBA", now=at
    )
    assert ticket.tier == 2
    escalation.escalate(
        db_session, ticket, actor=as_agent, reason="Bug in core", now=at
    )
    assert ticket.tier == 3
    escalation.escalate(db_session, ticket, actor=as_agent, reason="Data loss", now=at)
    assert ticket.escalated_to_executives
    names = {t.metric for t in ticket.timers}
    assert {"tier2_response", "tier3_response", "executive_response"} <= names
    with pytest.raises(Conflict):
        escalation.escalate(db_session, ticket, actor=as_agent, reason="Again", now=at)
    # The one-hour rule has nothing left to do.
    sweep_batch(db_session, now=START + timedelta(hours=2))
    exec_mails = [
        m for m in mails(db_session, ticket) if m.recipient == "cco@support.example"
    ]
    assert len(exec_mails) == 1


def test_agent_escalation_bad_input(db_session, make_ticket, org, staff, as_agent):
    ticket = open_ticket(make_ticket, org, "high")
    with pytest.raises(InvalidInput) as caught:
        escalation.escalate(db_session, ticket, actor=as_agent, reason="", now=START)
    assert caught.value.field == "reason"
    with pytest.raises(InvalidInput) as caught:
        escalation.escalate(
            db_session,
            ticket,
            actor=Actor.for_customer(ticket.requester),
            reason="x",
            now=START,
        )
    assert caught.value.field == "actor"
    escalation.escalate(db_session, ticket, actor=as_agent, reason="a", now=START)
    escalation.escalate(db_session, ticket, actor=as_agent, reason="b", now=START)
    with pytest.raises(Conflict, match="last step for a high ticket"):
        escalation.escalate(db_session, ticket, actor=as_agent, reason="c", now=START)
    assert ticket.tier == 3
    assert not ticket.escalated_to_executives


def _critical_tickets(database, count):
    with database.session() as session:
        org = create_organization(
            session, name="Rheinwerk", region="emea", email_domain="rw.example"
        )
        create_user(
            session,
            email="cco@support.example",
            name="CCO",
            password="long enough",
            role="executive",
        )
        for n in range(count):
            ticket_service.create_ticket(
                session,
                subject=f"Outage {n}",
                description="Down",
                priority="critical",
                requester_email=f"user{n}@rw.example",
                organization=org,
                now=START,
            )


def _escalation_totals(database):
    with database.session() as session:
        return {
            "firings": session.scalar(
                select(func.count(SlaFiring.id)).where(SlaFiring.metric == "escalation")
            ),
            "late": session.scalar(
                select(func.count(SlaFiring.id)).where(
                    SlaFiring.metric == "escalation", SlaFiring.late
                )
            ),
            "events": session.scalar(
                select(func.count(TicketEvent.id)).where(
                    TicketEvent.kind == "executives_escalated"
                )
            ),
            "mails": session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.subject.contains("Escalated to executives")
                )
            ),
        }


def test_after_downtime_each_rule_fires_once_marked_late(database):
    _critical_tickets(database, 9)
    run_sweep(database, now=START + timedelta(hours=2), batch_size=4)
    run_sweep(database, now=START + timedelta(hours=2, minutes=1), batch_size=4)
    assert _escalation_totals(database) == {
        "firings": 9,
        "late": 9,
        "events": 9,
        "mails": 9,
    }
    with database.session() as session:
        event = session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "executives_escalated")
        ).first()
        assert event.data["due_at"] == "2026-12-02T16:00:00+00:00"
        assert event.data["late"] is True
        assert all(t.escalated_to_executives for t in session.scalars(select(Ticket)))


def test_two_sweeps_in_turn_fire_each_rule_once(database):
    _critical_tickets(database, 5)
    at = START + timedelta(hours=1)
    run_sweep(database, now=at)
    run_sweep(database, now=at + timedelta(seconds=5))
    assert _escalation_totals(database) == {
        "firings": 5,
        "late": 0,
        "events": 5,
        "mails": 5,
    }


def _sweep_then_crash(database, at):
    with database.session() as session:
        sweep_batch(session, now=at)
        raise RuntimeError("scheduler killed before commit")


def test_a_crash_before_commit_fires_nothing_then_the_next_sweep_fires_once(database):
    _critical_tickets(database, 3)
    at = START + timedelta(hours=1)
    with pytest.raises(RuntimeError, match="killed"):
        _sweep_then_crash(database, at)
    assert _escalation_totals(database)["firings"] == 0
    run_sweep(database, now=at + timedelta(minutes=5))
    assert _escalation_totals(database) == {
        "firings": 3,
        "late": 3,
        "events": 3,
        "mails": 3,
    }


@pytest.mark.postgres
def test_two_sweeps_in_parallel_on_postgres_fire_each_rule_once(postgres_database):
    database = postgres_database
    _critical_tickets(database, 40)
    at = START + timedelta(hours=1)
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            barrier.wait()
            run_sweep(database, now=at, batch_size=5)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _escalation_totals(database) == {
        "firings": 40,
        "late": 0,
        "events": 40,
        "mails": 40,
    }


@pytest.mark.postgres
def test_a_change_racing_the_sweep_on_postgres_fires_once(postgres_database):
    """Two transactions reach the same due rule; the unique key lets one act."""
    database = postgres_database
    _critical_tickets(database, 1)
    at = START + timedelta(hours=1)
    first = database.sessionmaker()
    second = database.sessionmaker()
    try:
        ticket_a = first.scalars(select(Ticket)).one()
        ticket_b = second.scalars(select(Ticket)).one()
        escalation.apply_escalation_rule(first, ticket_a, now=at)
        first.commit()
        escalation.apply_escalation_rule(second, ticket_b, now=at)
        second.commit()
    finally:
        first.close()
        second.close()
    assert _escalation_totals(database) == {
        "firings": 1,
        "late": 0,
        "events": 1,
        "mails": 1,
    }


def test_every_kind_of_escalation_tells_webhooks_once(
    db_session, make_ticket, org, staff, frozen_clock
):
    import json

    from slaengine.webhooks import create_webhook

    create_webhook(
        db_session, url="http://127.0.0.1:9/hook", event_types=["escalation"], now=START
    )
    frozen_clock.move_to(START)
    ruled = open_ticket(make_ticket, org, "critical", utcnow())
    by_agent = open_ticket(make_ticket, org, "high", utcnow())
    escalation.escalate(
        db_session,
        by_agent,
        actor=Actor.for_user(staff["lead"]),
        reason="needs a database expert",
    )
    frozen_clock.move_to(START + timedelta(hours=1))
    sweep_batch(db_session, now=utcnow())
    sweep_batch(db_session, now=utcnow())

    hooks = [m for m in mails(db_session) if m.kind == "webhook"]
    bodies = {
        json.loads(m.body)["ticket"]["id"]: json.loads(m.body)["data"] for m in hooks
    }
    assert len(hooks) == 2
    assert bodies[ruled.id]["executives"] is True
    assert bodies[ruled.id]["by"] == "escalation rules"
    assert (bodies[by_agent.id]["from_tier"], bodies[by_agent.id]["to_tier"]) == (1, 2)
    assert bodies[by_agent.id]["reason"] == "needs a database expert"
