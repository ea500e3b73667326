"""The public request form: validation, priority mapping, confirmation."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from slaengine.models import OutboxMessage, Ticket, TicketEvent
from tests.portal.conftest import attachment_files, stored_counts


def test_form_has_a_visible_label_for_every_control(portal):
    page = portal.get("/").get_data(as_text=True)

    for control in (
        "name",
        "email",
        "organization",
        "language",
        "product_area",
        "subject",
        "description",
        "attachments",
    ):
        assert f'<label for="{control}">' in page
    for impact in ("production_down", "degraded", "minor", "question"):
        assert f'<label class="choice" for="impact-{impact}">' in page


@pytest.mark.parametrize(
    ("impact", "priority"),
    [
        ("production_down", "critical"),
        ("degraded", "high"),
        ("minor", "medium"),
        ("question", "low"),
    ],
)
def test_impact_maps_to_priority(portal, database, impact, priority):
    _token, ticket_id = portal.submit_and_follow(impact=impact)

    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.priority == priority
        assert ticket.channel == "web"
        assert ticket.center is not None
        assert {timer.metric for timer in ticket.timers} >= {
            "acknowledge",
            "resolution",
        }


def test_missing_fields_are_named_and_typed_input_is_kept(portal, database):
    response = portal.submit(
        name="", email="not-an-address", impact="", subject="Kept subject"
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 422
    assert 'id="name-error">This field is required.' in page
    assert 'id="email-error">Enter an email address like name@example.com.' in page
    assert 'id="impact-error">Choose how much this affects you.' in page
    assert 'value="Kept subject"' in page
    assert 'value="not-an-address"' in page
    assert stored_counts(database) == {"tickets": 0, "attachments": 0, "outbox": 0}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("product_area", "warp_drive"),
        ("language", "tlh"),
        ("description", "x" * 20_001),
        ("subject", "   "),
    ],
)
def test_each_bad_field_is_refused_by_name(portal, database, field, value):
    response = portal.submit(**{field: value})

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert stored_counts(database)["tickets"] == 0


def test_confirmation_states_reference_and_24x7_commitment(portal, database):
    response = portal.submit(impact="production_down")
    confirmation = portal.get(response.headers["Location"]).get_data(as_text=True)

    assert "Thank you. Your ticket is #" in confirmation
    assert (
        "An engineer will acknowledge within 15 minutes, around the clock."
        in confirmation
    )
    with database.session() as session:
        email = session.scalars(select(OutboxMessage)).one()
    assert email.recipient == "pat@customer.example"
    assert (
        "an engineer will acknowledge within 15 minutes, around the clock" in email.body
    )
    assert response.headers["Location"].removesuffix("/submitted") in email.body


def test_business_hours_commitment_for_medium(portal, database):
    response = portal.submit(impact="minor")
    confirmation = portal.get(response.headers["Location"]).get_data(as_text=True)

    assert (
        "acknowledge within 2 business hours (Monday to Friday, 08:00–20:00"
        in confirmation
    )


def test_organization_is_matched_by_email_domain_not_by_typed_name(
    portal, database, strategic_org
):
    _, matched = portal.submit_and_follow(email="ann@globex.example", impact="degraded")
    _, typed = portal.submit_and_follow(
        email="eve@elsewhere.example", organization="Globex"
    )

    with database.session() as session:
        assert session.get(Ticket, matched).organization_id == strategic_org
        assert session.get(Ticket, typed).organization_id is None
        form_event = session.scalar(
            select(TicketEvent).where(
                TicketEvent.ticket_id == typed, TicketEvent.kind == "web_form"
            )
        )
        assert form_event.data["organization_name"] == "Globex"


def test_attachments_are_stored_by_hash_with_safe_names(portal, database, app):
    files = [
        (io.BytesIO(b"trace line 1\n"), "../../etc/passwd<script>.log"),
        (io.BytesIO(b"%PDF-1.4 tiny"), "report.pdf"),
    ]
    _token, ticket_id = portal.submit_and_follow(attachments=files)

    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        names = sorted(a.filename for a in ticket.messages[0].attachments)
    assert names == ["passwd_script_.log", "report.pdf"]
    assert len(attachment_files(app)) == 2


def test_language_mechanism_serves_spanish(portal):
    page = portal.get("/?lang=es").get_data(as_text=True)

    assert '<html lang="es">' in page
    assert "Contactar con soporte" in page
    assert '<label for="name">Su nombre</label>' in page


def test_browser_language_is_used_when_nothing_is_chosen(portal):
    page = portal.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(
        as_text=True
    )

    assert "Support kontaktieren" in page
