"""Fixtures for the agent workspace: committed staff and tickets, signed-in clients."""

from __future__ import annotations

import re
from functools import cache

import pytest
from werkzeug.security import generate_password_hash

from slaengine import tickets as ticket_service
from slaengine.models import ShiftOverride, User
from slaengine.people import create_organization
from tests.timepoints import utc

PASSWORD = "correct horse"


@cache
def password_hash() -> str:
    return generate_password_hash(PASSWORD)


@pytest.fixture
def seed(database):
    """Commit staff and one organization; returns a maker of committed tickets.

    Every agent has time off, so automatic assignment leaves new tickets in
    their center's unassigned queue, whatever the hour the tests run at.
    """
    with database.session() as session:
        create_organization(
            session,
            name="Rheinwerk Bank",
            account_tier="strategic",
            region="emea",
            email_domain="rheinwerk.example",
            timezone="Europe/Berlin",
        )
        for email, name, role, tier in (
            ("agent@support.example", "Ciaran Walsh", "agent", 1),
            ("other@support.example", "Lena Schmidt", "agent", 1),
            ("expert@support.example", "Aoife Kelly", "agent", 2),
            ("exec@support.example", "Grace Okafor", "executive", None),
            ("admin@support.example", "Ada Admin", "admin", None),
        ):
            # One password hash for all: scrypt per user would slow every test.
            user = User(
                email=email,
                name=name,
                password_hash=password_hash(),
                role=role,
                center="emea" if tier else None,
                tier=tier,
                languages=["en"],
                timezone="Europe/Dublin" if tier else None,
            )
            session.add(user)
            session.flush()
            session.add(
                ShiftOverride(
                    user_id=user.id,
                    kind="time_off",
                    starts_at=utc(2000, 1, 1, 0, 0),
                    ends_at=utc(2100, 1, 1, 0, 0),
                    note="tests",
                )
            )

    def make_ticket(**overrides) -> int:
        values = {
            "subject": "Checkout is slow",
            "description": "Pages take 20 s to load.",
            "priority": "medium",
            "requester_email": "pat@rheinwerk.example",
        }
        values.update(overrides)
        with database.session() as session:
            return ticket_service.create_ticket(session, **values).id

    return make_ticket


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/agent/login").text)
    return client.post(
        "/agent/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def agent_client(app, seed):
    client = app.test_client()
    assert sign_in(client, "agent@support.example").status_code == 302
    return client


def client_as(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def token(client) -> str:
    """The signed-in client's CSRF token (rendering a page makes one)."""
    with client.session_transaction() as session:
        if "csrf_token" in session:
            return session["csrf_token"]
    return csrf_from(client.get("/agent/queues/mine").text)
