"""Hand-offs: the agent's, and the clock's when a center's peak hours end."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from slaengine import tickets as ticket_service
from slaengine.errors import Conflict, InvalidInput
from slaengine.events import Actor
from slaengine.models import Message, OutboxMessage, Ticket, TicketEvent
from slaengine.people import create_organization, create_user
from slaengine.routing import hand_off, hand_off_due, run_handoffs
from slaengine.scheduler import jobs
from tests.timepoints import chicago, dublin

DUBLIN_CLOSE = dublin(2026, 12, 2, 20, 0)  # Wed, end of Dublin's peak (20:00 UTC)


@pytest.fixture
def emea_org(make_organization):
    return make_organization(
        name="Liffey", region="emea", email_domain="liffey.example"
    )


def handoffs(session, ticket):
    return list(
        session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "handoff"
            )
        )
    )


def test_agent_hands_off_with_a_note(
    db_session, make_user, make_ticket, emea_org, as_agent
):
    austin_lead = make_user(
        email="lead.austin@support.example", role="lead", center="americas", tier=2
    )
    austin_agent = make_user(email="austin@support.example", center="americas")
    ticket = make_ticket(
        priority="medium",
        organization=emea_org,
        requester_email="a@liffey.example",
        now=dublin(2026, 12, 2, 19, 0),
    )
    at = dublin(2026, 12, 2, 19, 30)  # 13:30 in Austin
    hand_off(
        db_session, ticket, "americas", actor=as_agent, note="Logs attached", now=at
    )

    assert ticket.center == "americas"
    assert ticket.assignee == austin_agent
    (event,) = handoffs(db_session, ticket)
    assert (event.before, event.after) == ("emea", "americas")
    note = db_session.get(Message, event.data["message_id"])
    assert note.public is False
    assert note.body_text == "Handed off from Dublin to Austin: Logs attached"
    (mail,) = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == austin_lead.email)
    )
    assert mail.subject.startswith(f"[{ticket.reference}] Handed to Austin")


@pytest.mark.parametrize(
    ("to_center", "note", "field"),
    [
        ("mars", "", "to_center"),
        ("emea", "", "to_center"),  # its own center
        ("apac", "", "to_center"),  # Singapore has no German
        ("apac", "x" * 5001, "note"),
    ],
)
def test_bad_hand_off_names_the_field_and_changes_nothing(
    db_session, make_ticket, make_organization, as_agent, to_center, note, field
):
    org = make_organization(
        name="Rheinwerk", region="emea", language="de", email_domain="rw.example"
    )
    ticket = make_ticket(organization=org, requester_email="k@rw.example")
    version = ticket.version
    with pytest.raises(InvalidInput) as caught:
        hand_off(db_session, ticket, to_center, actor=as_agent, note=note)
    assert caught.value.field == field
    assert (ticket.center, ticket.version) == ("emea", version)
    assert handoffs(db_session, ticket) == []


def test_a_solved_ticket_is_not_handed_off(db_session, make_ticket, as_agent):
    ticket = make_ticket()
    ticket_service.change_status(db_session, ticket, "solved", actor=as_agent)
    with pytest.raises(Conflict):
        hand_off(db_session, ticket, "americas", actor=as_agent, note="")


def test_clock_hands_critical_and_high_on_at_the_exact_peak_end(
    db_session, make_user, make_ticket, emea_org
):
    make_user(
        email="lead.austin@support.example", role="lead", center="americas", tier=2
    )
    opened = DUBLIN_CLOSE - timedelta(hours=1)
    tickets = {
        priority: make_ticket(
            priority=priority,
            organization=emea_org,
            requester_email=f"{priority}@liffey.example",
            now=opened,
        )
        for priority in ("critical", "high", "medium", "low")
    }
    assert {t.center for t in tickets.values()} == {"emea"}

    assert hand_off_due(db_session, now=DUBLIN_CLOSE - timedelta(seconds=1)) == 0
    assert hand_off_due(db_session, now=DUBLIN_CLOSE) == 2
    assert hand_off_due(db_session, now=DUBLIN_CLOSE + timedelta(seconds=5)) == 0

    assert tickets["critical"].center == "americas"
    assert tickets["high"].center == "americas"
    assert tickets["medium"].center == "emea"
    (event,) = handoffs(db_session, tickets["critical"])
    assert event.actor_name == "follow the sun"
    assert event.data["note"].startswith(
        "Dublin's peak hours have ended (20:00 local); "
        "Austin is in peak hours until 20:00 local."
    )
    leads = db_session.scalars(
        select(OutboxMessage.recipient).where(
            OutboxMessage.subject.contains("Handed to Austin")
        )
    ).all()
    assert sorted(leads) == ["lead.austin@support.example"] * 2


def test_the_sun_goes_round_the_world(db_session, make_ticket, emea_org):
    ticket = make_ticket(
        priority="critical",
        organization=emea_org,
        requester_email="a@liffey.example",
        now=dublin(2026, 12, 2, 19, 0),
    )
    hand_off_due(db_session, now=DUBLIN_CLOSE)
    assert ticket.center == "americas"
    hand_off_due(db_session, now=chicago(2026, 12, 2, 20, 0))
    assert ticket.center == "apac"
    hand_off_due(db_session, now=dublin(2026, 12, 3, 12, 0))  # 20:00 Singapore
    assert ticket.center == "emea"
    assert [(e.before, e.after) for e in handoffs(db_session, ticket)] == [
        ("emea", "americas"),
        ("americas", "apac"),
        ("apac", "emea"),
    ]


def test_a_ticket_only_its_center_can_work_stays(
    db_session, make_ticket, make_organization
):
    org = make_organization(
        name="Rheinwerk", region="emea", language="de", email_domain="rw.example"
    )
    ticket = make_ticket(
        priority="critical",
        organization=org,
        requester_email="k@rw.example",
        now=DUBLIN_CLOSE - timedelta(hours=1),
    )
    assert hand_off_due(db_session, now=DUBLIN_CLOSE) == 0
    assert ticket.center == "emea"


def test_the_job_runs_from_the_scheduler_once(database, settings_for_jobs):
    with database.session() as session:
        org = create_organization(
            session, name="Liffey", region="emea", email_domain="liffey.example"
        )
        create_user(
            session,
            email="lead.austin@support.example",
            name="Lead",
            password="long enough",
            role="lead",
            center="americas",
            tier=2,
        )
        ticket_service.create_ticket(
            session,
            subject="Down",
            description="Down",
            priority="critical",
            requester_email="a@liffey.example",
            organization=org,
            now=DUBLIN_CLOSE - timedelta(minutes=30),
        )
    assert "follow-the-sun" in {job.id for job in jobs(settings_for_jobs)}
    assert run_handoffs(database, now=DUBLIN_CLOSE, batch_size=1) == 1
    assert run_handoffs(database, now=DUBLIN_CLOSE) == 0
    with database.session() as session:
        assert session.scalars(select(Ticket.center)).one() == "americas"
        notices = session.scalars(
            select(OutboxMessage.recipient).where(
                OutboxMessage.subject.contains("Handed to Austin")
            )
        ).all()
        assert notices == ["lead.austin@support.example"]


@pytest.fixture
def settings_for_jobs(tmp_path):
    from slaengine.config import load_settings

    return load_settings({"SLAENGINE_INSTANCE": str(tmp_path)})


def test_handoff_actor_is_recorded_for_agents(db_session, make_ticket, emea_org, agent):
    ticket = make_ticket(
        priority="high", organization=emea_org, requester_email="a@liffey.example"
    )
    hand_off(db_session, ticket, "apac", actor=Actor.for_user(agent), note="")
    (event,) = handoffs(db_session, ticket)
    assert event.actor_id == agent.id
    assert event.data["note"] == "no note given"


def test_demo_story_austin_to_singapore_tier_two_then_executives(db_session):
    from slaengine.demo import load_demo

    now = chicago(2026, 12, 3, 9, 0)
    load_demo(db_session, tickets=1, now=now)
    ticket = db_session.scalars(
        select(Ticket).where(Ticket.subject == "Payment processing down for all stores")
    ).one()
    opened = chicago(2026, 12, 2, 19, 30)
    assert ticket.created_at == opened
    assert (ticket.center, ticket.tier, ticket.escalated_to_executives) == (
        "apac",
        2,
        True,
    )
    timeline = [
        (e.kind, e.at - opened)
        for e in db_session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
        if e.kind in ("created", "handoff", "escalated", "executives_escalated")
    ]
    assert timeline == [
        ("created", timedelta(0)),
        ("handoff", timedelta(minutes=30)),
        ("escalated", timedelta(minutes=40)),
        ("executives_escalated", timedelta(hours=1)),
    ]
    executives = db_session.scalars(
        select(OutboxMessage.recipient).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.subject.contains("Escalated to executives"),
        )
    ).all()
    assert sorted(executives) == ["cco@example.com", "vp.technical@example.com"]
