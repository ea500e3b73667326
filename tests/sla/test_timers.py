"""SLA timers on real tickets, with the clock frozen at the edges.

The service functions take their time from ``slaengine.clock.utcnow``, so
these tests move a frozen clock and let the engine read it, as it does in
production. Expected instants are worked out by hand in the comments.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.events import Actor
from slaengine.models import OutboxMessage, SlaFiring, TicketEvent
from slaengine.sla.sweep import sweep_batch
from tests.timepoints import chicago, dublin, utc


def timers(ticket):
    return {timer.metric: timer for timer in ticket.timers}


@pytest.fixture
def dublin_org(make_organization):
    return make_organization(name="Liffey Ltd", region="emea", account_tier="standard")


@pytest.fixture
def austin_org(make_organization):
    return make_organization(
        name="Lone Star Inc", region="americas", account_tier="standard"
    )


def test_critical_ticket_has_five_timers_due_as_the_policy_says(
    db_session, make_ticket, frozen_clock
):
    frozen_clock.move_to(utc(2026, 12, 2, 15, 0))
    ticket = make_ticket(priority="critical", now=utcnow())
    due = {metric: timer.due_at for metric, timer in timers(ticket).items()}
    assert due == {
        "acknowledge": utc(2026, 12, 2, 15, 15),
        "expert_engaged": utc(2026, 12, 2, 15, 30),
        "workaround": utc(2026, 12, 2, 17, 0),
        "resolution": utc(2026, 12, 2, 19, 0),
    }
    assert timers(ticket)["acknowledge"].warn_at == utc(2026, 12, 2, 15, 11, 15)
    assert ticket.next_deadline_at == utc(2026, 12, 2, 15, 11, 15)


def test_first_public_reply_meets_acknowledge_and_starts_update(
    db_session, make_ticket, as_agent, frozen_clock
):
    frozen_clock.move_to(utc(2026, 12, 2, 15, 0))
    ticket = make_ticket(priority="high", now=utcnow())
    frozen_clock.tick(timedelta(minutes=20))
    ticket_service.add_message(
        db_session, ticket, body="On it.", public=True, actor=as_agent
    )
    t = timers(ticket)
    assert (t["acknowledge"].state, t["acknowledge"].met_at) == (
        "met",
        utc(2026, 12, 2, 15, 20),
    )
    assert t["update"].due_at == utc(2026, 12, 2, 17, 20)  # high: every 2 h
    frozen_clock.tick(timedelta(minutes=60))
    ticket_service.add_message(
        db_session, ticket, body="Update.", public=True, actor=as_agent
    )
    assert timers(ticket)["update"].cycle == 2
    assert timers(ticket)["update"].due_at == utc(2026, 12, 2, 18, 20)


def test_pending_over_a_weekend_pauses_workaround_and_resolution(
    db_session, make_ticket, as_agent, dublin_org, frozen_clock
):
    # Medium runs on Dublin's business hours, Mon-Fri 08:00-20:00 (UTC+0 in winter).
    frozen_clock.move_to(dublin(2026, 11, 27, 10, 0))  # Fri
    ticket = make_ticket(priority="medium", organization=dublin_org, now=utcnow())
    frozen_clock.move_to(dublin(2026, 11, 27, 10, 30))
    ticket_service.add_message(
        db_session,
        ticket,
        body="Send logs?",
        public=True,
        actor=as_agent,
        set_status="pending",
    )
    frozen_clock.move_to(dublin(2026, 11, 28, 12, 0))  # Sat, still pending
    sweep_batch(db_session, now=utcnow())
    paused = timers(ticket)
    assert paused["resolution"].state == "paused"
    assert paused["resolution"].due_at is None
    assert paused["acknowledge"].state == "met"
    assert {timer.calendar for timer in paused.values()} == {"business"}

    frozen_clock.move_to(dublin(2026, 11, 30, 9, 0))  # Mon: the customer answers
    ticket_service.add_message(
        db_session,
        ticket,
        body="Here.",
        public=True,
        actor=Actor.for_customer(ticket.requester),
    )
    t = timers(ticket)
    assert ticket.status == "open"
    # 30 business minutes used on Friday; 1,410 left of 1,440 from Mon 09:00:
    # Mon 660, Tue 720, then 30 on Wed -> Wed 08:30.
    assert t["resolution"].due_at == dublin(2026, 12, 2, 8, 30)
    # Workaround, 480: 30 used, 450 left from Mon 09:00 -> Mon 16:30.
    assert t["workaround"].due_at == dublin(2026, 11, 30, 16, 30)
    assert t["resolution"].state == "running"
    assert t["resolution"].used_minutes == pytest.approx(30.0)


def test_pause_across_the_fall_back_weekend_in_austin(
    db_session, make_ticket, as_agent, austin_org, frozen_clock
):
    frozen_clock.move_to(chicago(2026, 10, 30, 19, 0))  # Fri 19:00 CDT = Sat 00:00 UTC
    ticket = make_ticket(priority="medium", organization=austin_org, now=utcnow())
    frozen_clock.move_to(chicago(2026, 10, 30, 19, 30))
    ticket_service.add_message(
        db_session,
        ticket,
        body="Which build?",
        public=True,
        actor=as_agent,
        set_status="pending",
    )
    frozen_clock.move_to(chicago(2026, 11, 2, 7, 0))  # Mon 07:00 CST, before opening
    ticket_service.add_message(
        db_session,
        ticket,
        body="Build 7.",
        public=True,
        actor=Actor.for_customer(ticket.requester),
    )
    t = timers(ticket)
    # 30 used on Friday; 1,410 left from Mon 08:00 CST (14:00 UTC, an hour later
    # in UTC than Friday's opening): Mon 720, then 690 on Tue -> Tue 19:30 CST.
    assert t["resolution"].due_at == chicago(2026, 11, 3, 19, 30)
    assert t["resolution"].due_at == utc(2026, 11, 4, 1, 30)


def test_priority_raised_from_low_to_critical_breaches_an_exhausted_target_late(
    db_session, make_ticket, as_agent, dublin_org, frozen_clock
):
    frozen_clock.move_to(dublin(2026, 12, 2, 10, 0))  # Wed
    ticket = make_ticket(priority="low", organization=dublin_org, now=utcnow())
    assert timers(ticket)["acknowledge"].due_at == dublin(2026, 12, 2, 14, 0)
    frozen_clock.move_to(dublin(2026, 12, 2, 10, 20))
    ticket_service.change_priority(db_session, ticket, "critical", actor=as_agent)

    t = timers(ticket)
    assert (t["acknowledge"].state, t["acknowledge"].due_at) == (
        "breached",
        utc(2026, 12, 2, 10, 15),
    )
    assert t["acknowledge"].used_minutes == pytest.approx(20.0)
    assert t["resolution"].due_at == utc(2026, 12, 2, 14, 0)
    firing = db_session.scalar(
        select(SlaFiring).where(
            SlaFiring.ticket_id == ticket.id,
            SlaFiring.metric == "acknowledge",
            SlaFiring.kind == "breach",
        )
    )
    assert firing.late is True
    assert firing.due_at == utc(2026, 12, 2, 10, 15)
    event = db_session.scalar(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "sla.breached"
        )
    )
    assert event.data["late"] is True
    assert event.data["due_at"] == "2026-12-02T10:15:00+00:00"


def test_ticket_created_one_minute_before_closing(
    db_session, make_ticket, dublin_org, frozen_clock
):
    frozen_clock.move_to(dublin(2026, 12, 2, 19, 59))  # Wed
    ticket = make_ticket(priority="medium", organization=dublin_org, now=utcnow())
    # 1 minute on Wednesday, 119 from Thursday 08:00.
    assert timers(ticket)["acknowledge"].due_at == dublin(2026, 12, 3, 9, 59)


def test_business_clock_skips_an_irish_bank_holiday_after_the_dst_change(
    db_session, make_ticket, dublin_org, frozen_clock
):
    frozen_clock.move_to(dublin(2026, 10, 23, 19, 0))  # Fri, IST (UTC+1)
    ticket = make_ticket(priority="medium", organization=dublin_org, now=utcnow())
    # 60 on Friday; Sat/Sun closed; Mon 26 Oct is the October Bank Holiday;
    # 60 left from Tue 08:00 GMT (UTC+0).
    assert timers(ticket)["acknowledge"].due_at == dublin(2026, 10, 27, 9, 0)
    assert timers(ticket)["acknowledge"].due_at == utc(2026, 10, 27, 9, 0)


def test_solved_one_second_before_the_resolution_breach(
    db_session, make_ticket, as_agent, expert, frozen_clock
):
    start = utc(2026, 12, 2, 15, 0)
    frozen_clock.move_to(start)
    ticket = make_ticket(priority="critical", now=utcnow())
    frozen_clock.move_to(start + timedelta(minutes=5))
    ticket_service.add_message(
        db_session, ticket, body="Ack", public=True, actor=as_agent
    )
    frozen_clock.move_to(start + timedelta(minutes=10))
    ticket_service.assign(db_session, ticket, expert, actor=as_agent)
    frozen_clock.move_to(start + timedelta(hours=1))
    ticket_service.mark_workaround(db_session, ticket, actor=as_agent)
    frozen_clock.move_to(start + timedelta(hours=4, seconds=-1))
    ticket_service.change_status(db_session, ticket, "solved", actor=as_agent)

    t = timers(ticket)
    assert {m: timer.state for m, timer in t.items()} == {
        "acknowledge": "met",
        "expert_engaged": "met",
        "workaround": "met",
        "resolution": "met",
        "update": "breached",  # no update in 4 hours
        "executive_response": "breached",  # escalated at 1 h, no executive answered
    }
    assert t["resolution"].used_minutes == pytest.approx(240 - 1 / 60)
    frozen_clock.move_to(start + timedelta(hours=5))
    sweep_batch(db_session, now=utcnow())
    fired = set(
        db_session.execute(
            select(SlaFiring.metric, SlaFiring.kind).where(
                SlaFiring.ticket_id == ticket.id
            )
        )
    )
    assert ("resolution", "breach") not in fired
    assert ("update", "breach") in fired
    assert ticket.next_deadline_at is None


def test_warning_then_breach_fire_once_each_with_a_notification(
    db_session, make_ticket, make_user, dublin_org, frozen_clock
):
    lead = make_user(email="lead@support.example", role="lead", center="emea", tier=2)
    start = utc(2026, 12, 2, 15, 0)
    frozen_clock.move_to(start)
    ticket = make_ticket(priority="critical", organization=dublin_org, now=utcnow())
    assert ticket.center == "emea"
    for minutes in (11, 12, 16, 17):
        frozen_clock.move_to(start + timedelta(minutes=minutes))
        sweep_batch(db_session, now=utcnow())
    firings = db_session.execute(
        select(SlaFiring.metric, SlaFiring.kind).where(SlaFiring.ticket_id == ticket.id)
    ).all()
    assert sorted(firings) == [("acknowledge", "breach"), ("acknowledge", "warning")]
    mails = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
    ).all()
    assert sorted(m.subject for m in mails) == [
        f"[#{ticket.id}] SLA breach: acknowledge has breached",
        f"[#{ticket.id}] SLA warning: acknowledge is about to breach",
    ]
    assert {m.recipient for m in mails} == {lead.email}
    assert all(m.headers["Auto-Submitted"] == "auto-generated" for m in mails)
