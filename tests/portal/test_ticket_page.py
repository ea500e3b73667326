"""The ticket page: replies and reopening, escalation requests, the survey."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from slaengine.models import OutboxMessage, SatisfactionRating, Ticket, TicketEvent
from slaengine.portal import PortalSettings
from slaengine.satisfaction import queue_survey
from tests.portal.conftest import TOKEN_URL, agent_reply, set_status, stored_counts


def status_of(database, ticket_id: int) -> str:
    with database.session() as session:
        return session.get(Ticket, ticket_id).status


def test_reply_appears_in_the_conversation_with_its_file(portal, database):
    token, ticket_id = portal.submit_and_follow()

    response = portal.post(
        f"/t/{token}/tickets/{ticket_id}/reply",
        {
            "body": "It also fails on mobile.",
            "attachments": [(io.BytesIO(b"a,b\n1,2\n"), "data.csv")],
        },
        content_type="multipart/form-data",
    )
    page = portal.get(response.headers["Location"]).get_data(as_text=True)

    assert response.status_code == 303
    assert "It also fails on mobile." in page
    assert "data.csv" in page
    download = portal.get(re.search(r'href="([^"]+/attachments/\d+)"', page).group(1))
    assert download.data == b"a,b\n1,2\n"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"].startswith("text/csv")
    download.close()


def test_empty_reply_is_refused_by_name(portal, database):
    token, ticket_id = portal.submit_and_follow()

    response = portal.post(f"/t/{token}/tickets/{ticket_id}/reply", {"body": "  "})

    assert response.status_code == 422
    assert 'id="body-error">Write a message before sending' in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("status", ["pending", "solved"])
def test_customer_reply_reopens(portal, database, staff, status):
    token, ticket_id = portal.submit_and_follow()
    agent_reply(database, ticket_id, staff["agent"], "Can you send a log?")
    set_status(database, ticket_id, status, agent_id=staff["agent"])

    portal.post(f"/t/{token}/tickets/{ticket_id}/reply", {"body": "Here it is."})

    assert status_of(database, ticket_id) == "open"


def test_reply_on_closed_ticket_opens_a_linked_follow_up(portal, database, staff):
    token, ticket_id = portal.submit_and_follow(subject="Old problem")
    set_status(database, ticket_id, "solved", "closed", agent_id=staff["agent"])

    response = portal.post(
        f"/t/{token}/tickets/{ticket_id}/reply", {"body": "It is back."}
    )

    assert response.status_code == 303
    new_token = TOKEN_URL.search(response.headers["Location"]).group(1)
    page = portal.get(f"/t/{new_token}").get_data(as_text=True)
    assert "Follow-up: Old problem" in page
    assert f"follow-up of #{ticket_id}" in page
    assert status_of(database, ticket_id) == "closed"


def test_escalation_request_records_event_and_tells_the_lead(
    portal, database, staff, strategic_org
):
    token, ticket_id = portal.submit_and_follow(
        impact="question", email="x@globex.example"
    )

    response = portal.post(
        f"/t/{token}/tickets/{ticket_id}/escalation",
        {"reason": "Our launch is tomorrow."},
    )

    assert response.status_code == 303
    assert "Your escalation request has been sent" in portal.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    with database.session() as session:
        event = session.scalar(
            select(TicketEvent).where(TicketEvent.kind == "customer_escalation_request")
        )
        mail = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.recipient == "lead@support.example"
            )
        )
    assert event.data["reason"] == "Our launch is tomorrow."
    assert event.actor_type == "customer"
    assert "Our launch is tomorrow." in mail.body


def test_escalation_without_reason_is_refused(portal, database, staff):
    token, ticket_id = portal.submit_and_follow()
    before = stored_counts(database)

    response = portal.post(f"/t/{token}/tickets/{ticket_id}/escalation", {"reason": ""})

    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert stored_counts(database) == before


def test_survey_is_closed_until_solved(portal, database):
    token, ticket_id = portal.submit_and_follow()

    response = portal.post(f"/t/{token}/tickets/{ticket_id}/survey", {"rating": "good"})

    assert response.status_code == 409
    with database.session() as session:
        assert session.scalars(select(SatisfactionRating)).all() == []


def test_survey_after_solve_stores_rating_and_comment(portal, database, staff):
    token, ticket_id = portal.submit_and_follow()
    set_status(database, ticket_id, "solved", agent_id=staff["agent"])

    page = portal.get(f"/t/{token}/tickets/{ticket_id}/survey?rating=bad")
    assert 'value="bad" checked' in page.get_data(as_text=True)
    portal.post(
        f"/t/{token}/tickets/{ticket_id}/survey",
        {"rating": "bad", "comment": "Took too long"},
    )
    saved = portal.post(f"/t/{token}/tickets/{ticket_id}/survey", {"rating": "good"})

    assert "Thank you. We have recorded your rating." in saved.get_data(as_text=True)
    with database.session() as session:
        rating = session.scalars(select(SatisfactionRating)).one()
    assert (rating.ticket_id, rating.rating, rating.comment) == (ticket_id, "good", "")


def test_survey_refuses_an_unknown_rating(portal, database, staff):
    token, ticket_id = portal.submit_and_follow()
    set_status(database, ticket_id, "solved", agent_id=staff["agent"])

    response = portal.post(f"/t/{token}/tickets/{ticket_id}/survey", {"rating": "meh"})

    assert response.status_code == 422
    assert 'id="rating-error"' in response.get_data(as_text=True)


def test_survey_email_links_open_the_survey(portal, database, staff, app, tmp_path):
    _, ticket_id = portal.submit_and_follow()
    set_status(database, ticket_id, "solved", agent_id=staff["agent"])
    settings = PortalSettings(
        secret_key=app.config["SECRET_KEY"], attachment_folder=tmp_path
    )
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        first = queue_survey(
            session,
            ticket,
            settings=settings,
            survey_url=lambda t: f"http://localhost/t/{t}/survey",
            now=ticket.solved_at,
        )
        again = queue_survey(
            session,
            ticket,
            settings=settings,
            survey_url=lambda t: f"http://localhost/t/{t}/survey",
            now=ticket.solved_at,
        )
        mail = session.scalar(
            select(OutboxMessage).where(OutboxMessage.subject.like("%How did we do%"))
        )
    assert (first, again) == (True, False)
    good_url = next(line for line in mail.body.splitlines() if "rating=good" in line)
    path = good_url.split("http://localhost", 1)[1]
    page = portal.get(path).get_data(as_text=True)
    assert 'value="good" checked' in page


def test_escalation_request_moves_a_low_ticket_up_a_tier(
    portal, database, staff, strategic_org
):
    token, ticket_id = portal.submit_and_follow(
        impact="question", email="x@globex.example"
    )

    portal.post(
        f"/t/{token}/tickets/{ticket_id}/escalation", {"reason": "Blocking us."}
    )

    with database.session() as session:
        assert session.get(Ticket, ticket_id).tier == 2


def test_escalation_on_a_solved_ticket_is_refused(portal, database, staff):
    token, ticket_id = portal.submit_and_follow()
    set_status(database, ticket_id, "solved", agent_id=staff["agent"])
    before = stored_counts(database)

    response = portal.post(
        f"/t/{token}/tickets/{ticket_id}/escalation", {"reason": "x"}
    )

    assert response.status_code == 409
    assert stored_counts(database) == before
