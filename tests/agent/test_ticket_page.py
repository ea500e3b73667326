"""The ticket page: what it shows, every action, conflicts and presence."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.events import Actor
from slaengine.models import (
    Attachment,
    Message,
    OutboxMessage,
    Ticket,
    TicketEvent,
    TicketViewer,
    User,
)
from tests.agent.conftest import client_as, token


def version_of(database, ticket_id: int) -> int:
    with database.session() as session:
        return session.get(Ticket, ticket_id).version


def post(client, database, ticket_id: int, action: str, **fields):
    data = {
        "csrf_token": token(client),
        "version": version_of(database, ticket_id),
        **fields,
    }
    return client.post(f"/agent/tickets/{ticket_id}/{action}", data=data)


def load(database, ticket_id: int) -> Ticket:
    """The ticket as committed, with its timers and assignee, detached."""
    with database.session() as session:
        return session.scalar(
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .options(selectinload(Ticket.timers), selectinload(Ticket.assignee))
        )


def test_page_shows_conversation_timers_in_both_zones_and_timeline(agent_client, seed):
    ticket_id = seed()
    html = agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert f"#{ticket_id}</span> Checkout is slow" in html
    assert "Pages take 20 s to load." in html
    assert "Europe/Dublin" in html
    assert "Europe/Berlin" in html
    for metric in ("Acknowledge", "Expert engaged", "Workaround", "Resolution"):
        assert re.search(rf'data-timer="{metric.lower().replace(" ", "_")}"', html)
    assert "Opened (" in html


def test_customer_html_is_sanitized_and_agent_text_escaped(
    agent_client, seed, database
):
    ticket_id = seed()
    with database.session() as session:
        session.add(
            Message(
                ticket_id=ticket_id,
                public=True,
                author_type="customer",
                body_text="see html",
                created_at=utcnow(),
                body_html='<p onclick="x()">Hi <script>alert(1)</script>'
                '<a href="javascript:bad()">link</a><b>bold</b></p>',
            )
        )
        agent = session.scalar(
            select(User).where(User.email == "agent@support.example")
        )
        ticket_service.add_message(
            session,
            session.get(Ticket, ticket_id),
            body="<img src=x onerror=alert(2)>",
            public=False,
            actor=Actor.for_user(agent),
        )
    html = agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert "<script>alert(1)" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<b>bold</b>" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_internal_notes_are_marked_as_such(agent_client, seed, database):
    ticket_id = seed()
    response = post(
        agent_client, database, ticket_id, "note", body="Customer is on v2.3"
    )
    assert response.status_code == 302
    html = agent_client.get(response.location).text
    assert re.search(
        r'class="msg msg-note">.*?Internal note.*?Customer is on v2.3', html, re.S
    )


def test_reply_meets_acknowledge_and_emails_the_customer(agent_client, seed, database):
    ticket_id = seed()
    post(agent_client, database, ticket_id, "reply", body="We are on it.")
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        timers = {t.metric: t for t in ticket.timers}
        assert ticket.status == "open"
        assert timers["acknowledge"].state == "met"
        email = session.scalar(
            select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)
        )
        assert email.recipient == "pat@rheinwerk.example"
        assert email.subject == f"[#{ticket_id}] Checkout is slow"
        assert email.body.startswith("We are on it.")


def test_reply_can_set_pending(agent_client, seed, database):
    ticket_id = seed()
    post(
        agent_client,
        database,
        ticket_id,
        "reply",
        body="Which browser?",
        set_status="pending",
    )
    assert load(database, ticket_id).status == "pending"


def test_empty_reply_is_refused(agent_client, seed, database):
    ticket_id = seed()
    response = post(agent_client, database, ticket_id, "reply", body="   ")
    assert response.status_code == 422
    assert "Not saved: body: must not be empty" in response.text


def test_status_priority_assignee_and_claim(agent_client, seed, database):
    ticket_id = seed()
    post(agent_client, database, ticket_id, "status", status="on_hold")
    post(agent_client, database, ticket_id, "priority", priority="low")
    with database.session() as session:
        expert = session.scalar(
            select(User).where(User.email == "expert@support.example")
        )
    post(agent_client, database, ticket_id, "assign", assignee=str(expert.id))
    ticket = load(database, ticket_id)
    assert (ticket.status, ticket.priority, ticket.assignee_id) == (
        "on_hold",
        "low",
        expert.id,
    )
    post(agent_client, database, ticket_id, "claim")
    assert load(database, ticket_id).assignee.email == "agent@support.example"
    post(agent_client, database, ticket_id, "assign", assignee="none")
    assert load(database, ticket_id).assignee_id is None


def test_invalid_transition_and_unknown_values_are_explained(
    agent_client, seed, database
):
    ticket_id = seed()
    post(agent_client, database, ticket_id, "status", status="solved")
    post(agent_client, database, ticket_id, "status", status="closed")
    refused = post(agent_client, database, ticket_id, "status", status="pending")
    assert refused.status_code == 409
    assert (
        "cannot change status from &#39;closed&#39; to &#39;pending&#39;"
        in refused.text
    )
    assert (
        post(
            agent_client, database, ticket_id, "priority", priority="urgent"
        ).status_code
        == 422
    )
    assert (
        post(
            agent_client, database, ticket_id, "assign", assignee="someone"
        ).status_code
        == 422
    )


def test_workaround_meets_its_timer(agent_client, seed, database):
    ticket_id = seed()
    post(agent_client, database, ticket_id, "workaround", note="Use the CSV export")
    timers = {t.metric: t for t in load(database, ticket_id).timers}
    assert timers["workaround"].state == "met"


def test_escalation_needs_a_reason(agent_client, seed, database):
    ticket_id = seed()
    refused = post(agent_client, database, ticket_id, "escalate", reason=" ")
    assert refused.status_code == 422
    assert "escalation needs a reason" in refused.text
    assert load(database, ticket_id).tier == 1
    post(
        agent_client, database, ticket_id, "escalate", reason="Needs a database expert"
    )
    assert load(database, ticket_id).tier == 2
    html = agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert "Escalated to tier 2: Needs a database expert" in html
    assert "Already at tier 3" not in html
    assert "Escalate to tier 3" in html


def test_hand_off_to_another_center(agent_client, seed, database):
    ticket_id = seed()
    response = post(
        agent_client,
        database,
        ticket_id,
        "handoff",
        center="americas",
        note="Customer is in Austin today",
    )
    assert response.status_code == 302
    assert load(database, ticket_id).center == "americas"
    refused = post(
        agent_client, database, ticket_id, "handoff", center="mars", note="x"
    )
    assert refused.status_code == 422


def test_stale_edit_is_refused_and_the_text_kept(agent_client, seed, database):
    ticket_id = seed()
    seen = version_of(database, ticket_id)
    with database.session() as session:
        ticket_service.change_priority(
            session, session.get(Ticket, ticket_id), "low", actor=Actor.system()
        )
    response = agent_client.post(
        f"/agent/tickets/{ticket_id}/reply",
        data={
            "csrf_token": token(agent_client),
            "version": seen,
            "body": "My careful answer",
        },
    )
    assert response.status_code == 409
    assert "someone else changed this ticket" in response.text
    assert f"you edited version {seen}" in response.text
    assert ">My careful answer</textarea>" in response.text
    with database.session() as session:
        assert not session.scalar(
            select(Message).where(Message.body_text == "My careful answer")
        )


def test_missing_version_is_a_form_error(agent_client, seed):
    ticket_id = seed()
    response = agent_client.post(
        f"/agent/tickets/{ticket_id}/claim", data={"csrf_token": token(agent_client)}
    )
    assert response.status_code == 422


def test_actions_need_the_csrf_token(agent_client, seed, database):
    ticket_id = seed()
    response = agent_client.post(
        f"/agent/tickets/{ticket_id}/claim",
        data={"version": version_of(database, ticket_id)},
    )
    assert response.status_code == 400
    assert load(database, ticket_id).assignee_id is None


def test_who_else_has_it_open(app, agent_client, seed, database):
    ticket_id = seed()
    other = client_as(app, "other@support.example")
    other.get(f"/agent/tickets/{ticket_id}")
    html = agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert re.search(r"Also viewing now: <strong[^>]*>Lena Schmidt</strong>", html)
    answer = agent_client.post(
        f"/agent/tickets/{ticket_id}/presence",
        headers={"X-CSRF-Token": token(agent_client)},
    )
    assert answer.json == {
        "viewers": ["Lena Schmidt"],
        "version": version_of(database, ticket_id),
    }
    other.post(f"/agent/tickets/{ticket_id}/leave", data={"csrf_token": token(other)})
    answer = agent_client.post(
        f"/agent/tickets/{ticket_id}/presence",
        headers={"X-CSRF-Token": token(agent_client)},
    )
    assert answer.json["viewers"] == []


def test_a_viewer_gone_quiet_drops_out(agent_client, seed, database):
    ticket_id = seed()
    with database.session() as session:
        other = session.scalar(
            select(User).where(User.email == "other@support.example")
        )
        session.add(
            TicketViewer(
                ticket_id=ticket_id,
                user_id=other.id,
                seen_at=utcnow() - timedelta(minutes=5),
            )
        )
    assert "Also viewing now" in agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert (
        'id="viewers" aria-live="polite" hidden'
        in agent_client.get(f"/agent/tickets/{ticket_id}").text
    )


def test_executives_write_notes_but_do_not_work_tickets(app, seed, database):
    ticket_id = seed()
    client = client_as(app, "exec@support.example")
    html = client.get(f"/agent/tickets/{ticket_id}").text
    assert "Send reply" not in html
    assert "Add note" in html
    assert post(client, database, ticket_id, "reply", body="hi").status_code == 403
    assert post(client, database, ticket_id, "claim").status_code == 403
    assert post(client, database, ticket_id, "note", body="Watching").status_code == 302


def test_unknown_ticket_is_not_found(agent_client):
    response = agent_client.get("/agent/tickets/999999")
    assert response.status_code == 404
    assert "ticket #999999 does not exist" in response.text


def test_attachment_without_its_file_is_not_found(agent_client, seed, database):
    ticket_id = seed()
    with database.session() as session:
        message = session.scalar(select(Message).where(Message.ticket_id == ticket_id))
        attachment = Attachment(
            message_id=message.id,
            filename="log.txt",
            content_type="text/plain",
            size=3,
            sha256="ab" * 32,
        )
        session.add(attachment)
        session.flush()
        attachment_id = attachment.id
    html = agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert f'href="/agent/attachments/{attachment_id}">log.txt</a>' in html
    assert agent_client.get(f"/agent/attachments/{attachment_id}").status_code == 404


def test_every_change_is_in_the_timeline(agent_client, seed, database):
    ticket_id = seed()
    post(agent_client, database, ticket_id, "claim")
    post(agent_client, database, ticket_id, "priority", priority="high")
    with database.session() as session:
        kinds = set(
            session.scalars(
                select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
            )
        )
    assert {"created", "assignee", "priority"} <= kinds
    html = agent_client.get(f"/agent/tickets/{ticket_id}").text
    assert "Priority medium → high" in html
    assert "Assigned to Ciaran Walsh" in html
