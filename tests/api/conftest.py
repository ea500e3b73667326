"""Fixtures for the REST API: staff with tokens, a client that sends them."""

from __future__ import annotations

import pytest

from slaengine.api_tokens import create_token
from slaengine.clock import utcnow
from slaengine.people import create_organization, create_user


@pytest.fixture
def make_token(database):
    """Create a committed staff user of ``role`` and return their bearer token."""
    counter = iter(range(1, 10_000))

    def make(role: str = "agent", **overrides) -> str:
        n = next(counter)
        values = {
            "email": f"{role}{n}@support.example",
            "name": f"{role.title()} {n}",
            "password": "correct horse",
            "role": role,
            "center": "emea",
            "tier": 2,
            "languages": ["en", "de"],
        }
        values.update(overrides)
        with database.session() as session:
            user = create_user(session, **values)
            _, plain = create_token(session, user, name="tests", now=utcnow())
        return plain

    return make


@pytest.fixture
def auth(make_token):
    """``auth(role)`` → the Authorization header of a new user of that role."""

    def headers(role: str = "agent", **overrides) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(role, **overrides)}"}

    return headers


@pytest.fixture
def agent_headers(auth) -> dict[str, str]:
    return auth("agent")


@pytest.fixture
def admin_headers(auth) -> dict[str, str]:
    return auth("admin")


@pytest.fixture
def organization(database):
    with database.session() as session:
        org = create_organization(
            session,
            name="Globex",
            account_tier="strategic",
            region="americas",
            email_domain="globex.example",
        )
    return org


NEW_TICKET = {
    "subject": "Checkout returns 500",
    "description": "Every checkout fails since 14:50 UTC.",
    "priority": "critical",
    "requester": {"email": "pat@customer.example", "name": "Pat Lee"},
}


@pytest.fixture
def new_ticket(client, agent_headers):
    """POST one ticket through the API; returns ``(body, headers)``."""

    def create(**overrides) -> dict:
        body = {**NEW_TICKET, **overrides}
        response = client.post("/api/v1/tickets", json=body, headers=agent_headers)
        assert response.status_code == 201, response.json
        return response.json

    return create
