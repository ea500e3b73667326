"""A link opens its customer's tickets (a contact's: the organization's), no others."""

from __future__ import annotations

import io

from sqlalchemy import select

from slaengine.models import Attachment, Customer
from tests.portal.conftest import agent_reply


def test_another_customers_ticket_is_not_found(portal):
    mine, my_ticket = portal.submit_and_follow(email="a@one.example", subject="Mine")
    _theirs, their_ticket = portal.submit_and_follow(
        email="b@two.example", subject="Secret plans"
    )

    response = portal.get(f"/t/{mine}/tickets/{their_ticket}")

    assert response.status_code == 404
    assert "Secret plans" not in response.get_data(as_text=True)
    assert portal.get(f"/t/{mine}/tickets/{my_ticket}").status_code == 200
    assert portal.get(f"/t/{mine}/tickets/999999").status_code == 404


def test_actions_on_another_customers_ticket_are_not_found(portal, database):
    mine, _ = portal.submit_and_follow(email="a@one.example")
    _, theirs = portal.submit_and_follow(email="b@two.example")

    for action, data in (
        ("reply", {"body": "hi"}),
        ("escalation", {"reason": "now"}),
        ("survey", {"rating": "bad"}),
    ):
        response = portal.post(f"/t/{mine}/tickets/{theirs}/{action}", data)
        assert response.status_code == 404, action


def test_own_other_tickets_are_listed_and_open(portal):
    first, _ = portal.submit_and_follow(subject="First problem")
    _, second_id = portal.submit_and_follow(subject="Second problem")

    page = portal.get(f"/t/{first}").get_data(as_text=True)

    assert "Second problem" in page
    assert portal.get(f"/t/{first}/tickets/{second_id}").status_code == 200


def test_organization_contact_sees_the_organizations_tickets(
    portal, database, strategic_org
):
    colleague, colleague_ticket = portal.submit_and_follow(
        email="cole@globex.example", subject="Colleague's"
    )
    contact, _ = portal.submit_and_follow(email="boss@globex.example")
    outsider, _ = portal.submit_and_follow(email="out@other.example")
    with database.session() as session:
        session.scalar(
            select(Customer).where(Customer.email == "boss@globex.example")
        ).is_organization_contact = True

    assert portal.get(f"/t/{contact}/tickets/{colleague_ticket}").status_code == 200
    assert "Colleague&#39;s" in portal.get(f"/t/{contact}").get_data(as_text=True)
    assert portal.get(f"/t/{outsider}/tickets/{colleague_ticket}").status_code == 404
    _, contact_ticket = portal.submit_and_follow(email="boss@globex.example")
    assert portal.get(f"/t/{colleague}/tickets/{contact_ticket}").status_code == 404


def test_internal_notes_never_show(portal, database, staff):
    token, ticket_id = portal.submit_and_follow()
    agent_reply(
        database, ticket_id, staff["agent"], "Customer is on the old plan", public=False
    )
    agent_reply(database, ticket_id, staff["agent"], "We are looking into it.")

    page = portal.get(f"/t/{token}").get_data(as_text=True)

    assert "We are looking into it." in page
    assert "old plan" not in page


def test_attachment_of_another_ticket_is_not_found(portal, database):
    mine, my_ticket = portal.submit_and_follow(email="a@one.example")
    _, theirs = portal.submit_and_follow(
        email="b@two.example", attachments=[(io.BytesIO(b"private"), "secret.txt")]
    )
    with database.session() as session:
        attachment_id = session.scalars(select(Attachment.id)).one()

    assert (
        portal.get(
            f"/t/{mine}/tickets/{my_ticket}/attachments/{attachment_id}"
        ).status_code
        == 404
    )
    assert (
        portal.get(
            f"/t/{mine}/tickets/{theirs}/attachments/{attachment_id}"
        ).status_code
        == 404
    )
