"""The ticket service: status machine, audit events, versions, bad input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from slaengine import tickets as ticket_service
from slaengine.errors import InvalidInput, InvalidTransition, StaleVersion
from slaengine.events import Actor
from slaengine.models import Customer, Message, Ticket, TicketEvent
from tests.timepoints import utc

T0 = utc(2026, 12, 2, 10, 0)  # Wed, 10:00 Dublin: inside business hours


def events(session, ticket, kind=None):
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if kind:
        query = query.where(TicketEvent.kind == kind)
    return list(session.scalars(query.order_by(TicketEvent.id)))


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_create_ticket_records_requester_message_route_and_event(
    db_session, make_ticket
):
    ticket = make_ticket(requester_email="Pat@Customer.Example", requester_name="Pat")

    assert ticket.status == "new"
    assert ticket.tier == 1
    assert ticket.requester.email == "pat@customer.example"
    assert [m.body_text for m in ticket.messages] == ["Pages take 20 s to load."]
    (created,) = events(db_session, ticket, "created")
    assert created.actor_type == "customer"
    assert created.after["priority"] == "medium"
    assert created.data["route"].startswith("routed to ")


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["open", "pending", "open", "solved", "closed"], "closed"),
        (["on_hold", "open", "solved", "open", "solved"], "solved"),
        (["pending", "solved"], "solved"),
    ],
)
def test_allowed_transitions_each_append_an_event(
    db_session, make_ticket, as_agent, path, final
):
    ticket = make_ticket()
    for step, status in enumerate(path, start=1):
        ticket_service.change_status(
            db_session, ticket, status, actor=as_agent, now=T0 + timedelta(minutes=step)
        )
    assert ticket.status == final
    changes = [(e.before, e.after) for e in events(db_session, ticket, "status")]
    assert changes == list(zip(["new", *path[:-1]], path, strict=True))
    assert all(e.actor_name == "Tier One" for e in events(db_session, ticket, "status"))


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ([], "closed"),
        (["solved", "closed"], "open"),
        (["pending"], "new"),
        (["open"], "new"),
    ],
)
def test_invalid_transition_names_both_states_and_changes_nothing(
    db_session, make_ticket, as_agent, path, bad
):
    ticket = make_ticket()
    for status in path:
        ticket_service.change_status(db_session, ticket, status, actor=as_agent, now=T0)
    before_events = len(events(db_session, ticket))
    version = ticket.version

    with pytest.raises(InvalidTransition) as raised:
        ticket_service.change_status(db_session, ticket, bad, actor=as_agent, now=T0)

    assert f"from {ticket.status!r} to {bad!r}" in str(raised.value)
    assert len(events(db_session, ticket)) == before_events
    assert ticket.version == version


def test_unknown_status_and_priority_are_rejected(db_session, make_ticket, as_agent):
    ticket = make_ticket()
    with pytest.raises(InvalidInput, match="unknown status 'done'"):
        ticket_service.change_status(db_session, ticket, "done", actor=as_agent, now=T0)
    with pytest.raises(InvalidInput, match="unknown priority 'urgent'") as raised:
        ticket_service.change_priority(
            db_session, ticket, "urgent", actor=as_agent, now=T0
        )
    assert raised.value.field == "priority"
    assert ticket.priority == "medium"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"priority": "urgent"}, "unknown priority 'urgent'"),
        ({"requester_email": "not-an-address"}, "not a valid email address"),
        ({"subject": "   "}, "subject: must not be empty"),
        ({"language": "xx"}, "unknown language 'xx'"),
        ({"channel": "pigeon"}, "unknown channel 'pigeon'"),
    ],
)
def test_bad_ticket_input_creates_nothing(db_session, make_ticket, overrides, message):
    tickets, customers = count(db_session, Ticket), count(db_session, Customer)
    with pytest.raises(InvalidInput, match=message):
        make_ticket(**overrides)
    assert (count(db_session, Ticket), count(db_session, Customer)) == (
        tickets,
        customers,
    )


def test_agent_reply_opens_new_ticket_and_customer_reply_reopens(
    db_session, make_ticket, agent
):
    ticket = make_ticket()
    customer = Actor.for_customer(ticket.requester)
    ticket_service.add_message(
        db_session,
        ticket,
        body="Looking now.",
        public=True,
        actor=Actor.for_user(agent),
        now=T0 + timedelta(minutes=5),
    )
    assert ticket.status == "open"
    ticket_service.add_message(
        db_session,
        ticket,
        body="Which browser?",
        public=True,
        actor=Actor.for_user(agent),
        set_status="pending",
        now=T0 + timedelta(minutes=6),
    )
    assert ticket.status == "pending"
    ticket_service.add_message(
        db_session,
        ticket,
        body="Firefox.",
        public=True,
        actor=customer,
        now=T0 + timedelta(minutes=9),
    )
    assert ticket.status == "open"
    ticket_service.change_status(
        db_session,
        ticket,
        "solved",
        actor=Actor.for_user(agent),
        now=T0 + timedelta(minutes=20),
    )
    ticket_service.add_message(
        db_session,
        ticket,
        body="Still broken.",
        public=True,
        actor=customer,
        now=T0 + timedelta(minutes=30),
    )
    assert ticket.status == "open"
    assert ticket.solved_at is None


def test_internal_note_is_private_and_customers_cannot_write_one(
    db_session, make_ticket, as_agent
):
    ticket = make_ticket()
    note = ticket_service.add_message(
        db_session,
        ticket,
        body="Customer is on v2.",
        public=False,
        actor=as_agent,
        now=T0,
    )
    assert note.public is False
    assert ticket.status == "new"
    with pytest.raises(InvalidInput, match="only staff"):
        ticket_service.add_message(
            db_session,
            ticket,
            body="x",
            public=False,
            actor=Actor.for_customer(ticket.requester),
            now=T0,
        )


def test_reply_to_closed_ticket_is_refused_and_follow_up_links_it(
    db_session, make_ticket, as_agent
):
    ticket = make_ticket()
    for status in ("solved", "closed"):
        ticket_service.change_status(db_session, ticket, status, actor=as_agent, now=T0)
    with pytest.raises(InvalidTransition):
        ticket_service.add_message(
            db_session,
            ticket,
            body="Hi again",
            public=True,
            actor=Actor.for_customer(ticket.requester),
            now=T0,
        )
    follow_up = ticket_service.open_follow_up(
        db_session, ticket, body="Hi again", customer=ticket.requester, now=T0
    )
    assert follow_up.follow_up_of_id == ticket.id
    assert follow_up.subject == "Follow-up: Checkout is slow"
    assert follow_up.status == "new"


def test_every_change_is_an_event_with_actor_before_and_after(
    db_session, make_ticket, agent, expert, as_agent
):
    ticket = make_ticket()
    ticket_service.change_priority(db_session, ticket, "high", actor=as_agent, now=T0)
    ticket_service.assign(db_session, ticket, expert, actor=as_agent, now=T0)
    ticket_service.change_tier(
        db_session, ticket, 2, actor=as_agent, reason="needs expert", now=T0
    )
    ticket_service.set_tags(
        db_session, ticket, ["Billing", "billing", " eu "], actor=as_agent, now=T0
    )
    ticket_service.mark_workaround(
        db_session, ticket, actor=as_agent, note="clear cache", now=T0
    )

    log = {(e.kind, e.field): e for e in events(db_session, ticket)}
    assert (log["priority", "priority"].before, log["priority", "priority"].after) == (
        "medium",
        "high",
    )
    assert log["assignee", "assignee"].after == expert.id
    assert log["assignee", "assignee"].data["assignee_tier"] == 2
    assert log["escalated", "tier"].data["reason"] == "needs expert"
    assert log["tags", "tags"].after == ["billing", "eu"]
    assert log["workaround", None].actor_id == agent.id
    assert ticket.tags == ["billing", "eu"]


def test_stale_version_is_refused_and_changes_nothing(
    db_session, make_ticket, as_agent
):
    ticket = make_ticket()
    seen = ticket.version
    ticket_service.change_priority(
        db_session, ticket, "high", actor=as_agent, expected_version=seen, now=T0
    )
    assert ticket.version == seen + 1
    notes = count(db_session, Message)

    with pytest.raises(
        StaleVersion, match=rf"version {seen}, it is now at version {seen + 1}"
    ):
        ticket_service.add_message(
            db_session,
            ticket,
            body="late",
            public=False,
            actor=as_agent,
            expected_version=seen,
            now=T0,
        )
    with pytest.raises(StaleVersion):
        ticket_service.change_priority(
            db_session, ticket, "low", actor=as_agent, expected_version=seen, now=T0
        )
    assert ticket.priority == "high"
    assert count(db_session, Message) == notes


def test_two_sessions_editing_the_same_ticket_cannot_overwrite_each_other(database):
    with database.session() as session:
        ticket_id = ticket_service.create_ticket(
            session,
            subject="Slow",
            description="Slow pages",
            priority="medium",
            requester_email="pat@customer.example",
            now=T0,
        ).id
    system = Actor.system()
    first, second = database.sessionmaker(), database.sessionmaker()
    mine = ticket_service.get_ticket(first, ticket_id)
    theirs = ticket_service.get_ticket(second, ticket_id)

    ticket_service.change_priority(first, mine, "high", actor=system, now=T0)
    first.commit()
    with pytest.raises(
        StaleVersion, match=f"ticket #{ticket_id} was changed by someone else"
    ):
        ticket_service.change_priority(second, theirs, "low", actor=system, now=T0)
    second.rollback()
    first.close()
    second.close()

    with database.session() as session:
        ticket = ticket_service.get_ticket(session, ticket_id)
        assert ticket.priority == "high"
        kinds = [e.kind for e in events(session, ticket)]
        assert kinds.count("priority") == 1
