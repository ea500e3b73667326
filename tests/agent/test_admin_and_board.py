"""Roles: admins manage staff; executives and leads see the escalation board."""

from __future__ import annotations

from sqlalchemy import select

from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.events import Actor
from slaengine.models import Ticket, User
from tests.agent.conftest import client_as, password_hash, sign_in, token


def user_id(database, email: str) -> int:
    with database.session() as session:
        return session.scalar(select(User.id).where(User.email == email))


def test_only_admins_see_staff_accounts(app, agent_client, seed):
    assert agent_client.get("/agent/admin/users").status_code == 403
    assert "Staff accounts" not in agent_client.get("/agent/queues/mine").text
    admin = client_as(app, "admin@support.example")
    html = admin.get("/agent/admin/users").text
    assert "Ciaran Walsh" in html
    assert "New staff account" in html


def test_admin_creates_an_account_that_can_sign_in(app, seed):
    admin = client_as(app, "admin@support.example")
    response = admin.post(
        "/agent/admin/users",
        data={
            "csrf_token": token(admin),
            "name": "Jonas Weber",
            "email": "jonas@support.example",
            "password": "long enough",
            "role": "agent",
            "center": "emea",
            "tier": "2",
            "languages": "en, de",
        },
    )
    assert response.status_code == 302
    assert (
        sign_in(app.test_client(), "jonas@support.example", "long enough").status_code
        == 302
    )


def test_account_form_errors_keep_what_was_typed(app, seed):
    admin = client_as(app, "admin@support.example")
    short = admin.post(
        "/agent/admin/users",
        data={
            "csrf_token": token(admin),
            "name": "Jonas",
            "email": "jonas@support.example",
            "password": "short",
            "role": "agent",
        },
    )
    assert short.status_code == 422
    assert "password: must be at least 8 characters" in short.text
    assert 'value="jonas@support.example"' in short.text
    taken = admin.post(
        "/agent/admin/users",
        data={
            "csrf_token": token(admin),
            "name": "Again",
            "email": "agent@support.example",
            "password": "long enough",
            "role": "agent",
        },
    )
    assert taken.status_code == 409


def test_admin_deactivates_and_unlocks(app, seed, database):
    admin = client_as(app, "admin@support.example")
    agent = user_id(database, "agent@support.example")
    admin.post(
        f"/agent/admin/users/{agent}/active",
        data={"csrf_token": token(admin), "active": "0"},
    )
    assert sign_in(app.test_client(), "agent@support.example").status_code == 401
    admin.post(
        f"/agent/admin/users/{agent}/active",
        data={"csrf_token": token(admin), "active": "1"},
    )
    with database.session() as session:
        session.get(User, agent).locked_until = utcnow().replace(year=2100)
    assert "Unlock Ciaran Walsh" in admin.get("/agent/admin/users").text
    admin.post(f"/agent/admin/users/{agent}/unlock", data={"csrf_token": token(admin)})
    assert sign_in(app.test_client(), "agent@support.example").status_code == 302


def test_admins_cannot_deactivate_themselves(app, seed, database):
    admin = client_as(app, "admin@support.example")
    me = user_id(database, "admin@support.example")
    response = admin.post(
        f"/agent/admin/users/{me}/active",
        data={"csrf_token": token(admin), "active": "0"},
    )
    assert response.status_code == 409


def test_a_deactivated_user_is_signed_out(app, seed, database):
    agent = client_as(app, "agent@support.example")
    with database.session() as session:
        session.scalar(
            select(User).where(User.email == "agent@support.example")
        ).active = False
    assert agent.get("/agent/queues/mine").status_code == 302


def test_escalation_board_is_for_executives(app, agent_client, seed, database):
    quiet, critical = (
        seed(),
        seed(subject="Payment processing down", priority="critical"),
    )
    with database.session() as session:
        ticket = session.get(Ticket, critical)
        for timer in ticket.timers:
            if timer.metric == "acknowledge":
                timer.due_at = timer.started_at
        ticket_service.change_tier(
            session, session.get(Ticket, quiet), 2, actor=Actor.system(), reason="x"
        )
    assert agent_client.get("/agent/escalations").status_code == 403
    executive = client_as(app, "exec@support.example")
    html = executive.get("/agent/escalations").text
    assert "Payment processing down" in html
    assert "Checkout is slow" not in html
    assert "Escalation board" in executive.get("/agent/queues/escalated").text

    with database.session() as session:
        session.add(
            User(
                email="lead@support.example",
                name="Siobhan Byrne",
                role="lead",
                center="emea",
                tier=2,
                languages=["en"],
                password_hash=password_hash(),
            )
        )
    lead = client_as(app, "lead@support.example")
    assert "Payment processing down" in lead.get("/agent/escalations").text
