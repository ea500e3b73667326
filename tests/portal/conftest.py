"""Fixtures for the portal: a client that speaks the form's CSRF, and data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from slaengine import tickets as ticket_service
from slaengine.events import Actor
from slaengine.models import Attachment, OutboxMessage, Ticket
from slaengine.people import create_organization, create_user

TOKEN_URL = re.compile(r"/t/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
CSRF = "test-csrf-token"

VALID = {
    "name": "Pat Doe",
    "email": "pat@customer.example",
    "organization": "",
    "subject": "Checkout fails",
    "description": "Every payment returns error 502 since 09:00.",
    "impact": "minor",
    "product_area": "web_app",
    "language": "en",
}


class PortalClient:
    """The test client, with the CSRF token every form carries."""

    def __init__(self, client) -> None:
        self.client = client
        with client.session_transaction() as session:
            session["portal_csrf"] = CSRF

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        data = {"csrf_token": CSRF, **(data or {})}
        return self.client.post(url, data=data, **kwargs)

    def post_multipart(self, url, data):
        """POST a multipart body built in memory.

        (The test client spools bodies over 500 KB to a temporary file that it
        never closes; building the bytes here keeps the suite free of
        ResourceWarnings.)
        """
        fields = MultiDict()
        for key, value in {"csrf_token": CSRF, **data}.items():
            if key == "attachments":
                for stream, name in value:
                    fields.add(key, FileStorage(stream=stream, filename=name))
            else:
                fields.add(key, value)
        boundary, body = encode_multipart(fields)
        return self.client.post(
            url, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    def submit(self, **overrides):
        return self.post_multipart("/", {**VALID, **overrides})

    def submit_and_follow(self, **overrides) -> tuple[str, int]:
        """Submit a valid request; return its link token and ticket id."""
        response = self.submit(**overrides)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        token = TOKEN_URL.search(response.headers["Location"]).group(1)
        return token, ticket_id_for(self.client.application, token)


def ticket_id_for(app, token: str) -> int:
    from slaengine.models import PortalLink
    from slaengine.portal import hash_token

    with app.extensions["slaengine.db"].session() as session:
        return session.scalar(
            select(PortalLink.ticket_id).where(
                PortalLink.token_hash == hash_token(token)
            )
        )


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored_counts(database) -> dict[str, int]:
    return {
        "tickets": count(database, Ticket),
        "attachments": count(database, Attachment),
        "outbox": count(database, OutboxMessage),
    }


def attachment_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def portal(client) -> PortalClient:
    return PortalClient(client)


@pytest.fixture
def staff(database):
    """A Dublin lead and agent, committed."""
    with database.session() as session:
        lead = create_user(
            session,
            email="lead@support.example",
            name="Lena Lead",
            password="correct horse",
            role="lead",
            center="emea",
            tier=2,
        )
        agent = create_user(
            session,
            email="agent@support.example",
            name="Aidan Agent",
            password="correct horse",
            center="emea",
            tier=1,
        )
        return {"lead": lead.id, "agent": agent.id}


@pytest.fixture
def strategic_org(database):
    with database.session() as session:
        org = create_organization(
            session,
            name="Globex",
            account_tier="strategic",
            region="emea",
            email_domain="globex.example",
        )
        return org.id


def set_status(database, ticket_id: int, *statuses: str, agent_id: int | None = None):
    """Move a ticket through ``statuses`` as an agent (a reply first opens it)."""
    from slaengine.models import User

    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        user = session.get(User, agent_id) if agent_id else None
        actor = Actor.for_user(user) if user else Actor.system()
        for status in statuses:
            ticket_service.change_status(session, ticket, status, actor=actor)


def agent_reply(database, ticket_id: int, agent_id: int, body: str, *, public=True):
    from slaengine.models import User

    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        actor = Actor.for_user(session.get(User, agent_id))
        ticket_service.add_message(
            session, ticket, body=body, public=public, actor=actor
        )
