"""Tickets through the API: create, read, change, converse, escalate."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from slaengine.models import Ticket, TicketEvent
from tests.api.conftest import NEW_TICKET

PROBLEM = "application/problem+json"


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_answers_201_with_location_etag_and_sla_due_times(
    client, agent_headers, frozen_clock
):
    response = client.post("/api/v1/tickets", json=NEW_TICKET, headers=agent_headers)

    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{body['id']}")
    assert response.headers["ETag"] == '"1"'
    assert body["status"] == "new"
    assert body["priority"] == "critical"
    assert body["tier"] == 1
    assert body["center"] in ("americas", "emea", "apac")
    assert body["channel"] == "api"
    assert body["requester"]["email"] == "pat@customer.example"
    acknowledge = next(t for t in body["sla"] if t["metric"] == "acknowledge")
    assert acknowledge == acknowledge | {
        "state": "running",
        "target_minutes": 15.0,
        "due_at": "2026-12-02T15:15:00+00:00",
        "warn_at": "2026-12-02T15:11:15+00:00",
    }
    assert {"acknowledge", "expert_engaged", "workaround", "resolution"} <= {
        t["metric"] for t in body["sla"]
    }


def test_get_shows_route_counts_and_the_same_timers(client, agent_headers, new_ticket):
    created = new_ticket(tags=["Checkout", "payments"])

    response = client.get(f"/api/v1/tickets/{created['id']}", headers=agent_headers)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    body = response.json
    assert body["sla"] == created["sla"]
    assert body["tags"] == ["checkout", "payments"]
    assert body["route"]["center"] == body["center"]
    assert body["route"]["reason"]
    assert body["counts"] == {"replies": 1, "notes": 0, "events": 1}


def test_invalid_ticket_names_every_field_and_writes_nothing(
    client, agent_headers, database
):
    body = {
        "subject": "",
        "priority": "urgent",
        "requester": {"email": "nobody"},
        "colour": "red",
        "tags": ["x" * 51],
    }

    response = client.post("/api/v1/tickets", json=body, headers=agent_headers)

    assert response.status_code == 422
    assert response.content_type == PROBLEM
    problem = response.json
    assert problem["type"].endswith("#problem-validation-error")
    assert problem["status"] == 422
    assert problem["instance"] == "/api/v1/tickets"
    assert set(problem["fields"]) == {
        "subject",
        "description",
        "priority",
        "requester.email",
        "colour",
        "tags.0",
    }
    assert problem["fields"]["colour"] == ["Unknown field."]
    assert {
        "field": "requester.email",
        "location": "json",
        "pointer": "#/requester/email",
        "detail": "Not a valid email address.",
    } in problem["errors"]
    assert count(database, Ticket) == 0


def test_unknown_organization_is_a_422_on_that_field(client, agent_headers, database):
    response = client.post(
        "/api/v1/tickets",
        json={**NEW_TICKET, "organization": "Nope"},
        headers=agent_headers,
    )
    assert response.status_code == 422
    assert list(response.json["fields"]) == ["organization"]
    assert count(database, Ticket) == 0


def test_known_organization_is_attached(client, agent_headers, organization):
    response = client.post(
        "/api/v1/tickets",
        json={**NEW_TICKET, "organization": "globex"},
        headers=agent_headers,
    )
    assert response.status_code == 201
    assert response.json["organization"]["name"] == "Globex"
    assert response.json["organization"]["account_tier"] == "strategic"


def test_not_json_and_too_large_bodies_are_problems(client, agent_headers):
    bad = client.post(
        "/api/v1/tickets",
        data="{nope",
        headers=agent_headers,
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.content_type == PROBLEM

    huge = {**NEW_TICKET, "description": "x" * (1024 * 1024 + 1)}
    large = client.post("/api/v1/tickets", json=huge, headers=agent_headers)
    assert large.status_code == 413
    assert large.content_type == PROBLEM


def test_missing_ticket_and_unknown_url_are_404_problems(client, agent_headers):
    for url in ("/api/v1/tickets/999", "/api/v1/nothing-here"):
        response = client.get(url, headers=agent_headers)
        assert response.status_code == 404
        assert response.content_type == PROBLEM


def test_patch_changes_several_fields_and_moves_the_etag(
    client, agent_headers, new_ticket, auth
):
    ticket = new_ticket()
    users = client.get("/api/v1/users?role=agent", headers=agent_headers).json["data"]

    response = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={
            "status": "open",
            "priority": "high",
            "assignee": users[0]["id"],
            "tags": ["vip"],
        },
        headers={**agent_headers, "If-Match": '"1"'},
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["priority"], body["tags"]) == ("open", "high", ["vip"])
    assert body["assignee"]["id"] == users[0]["id"]
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["version"] > 1


def test_stale_if_match_gets_412_and_changes_nothing(
    client, agent_headers, new_ticket, database
):
    ticket = new_ticket()
    url = f"/api/v1/tickets/{ticket['id']}"
    first = client.patch(
        url, json={"priority": "high"}, headers={**agent_headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200

    stale = client.patch(
        url,
        json={"priority": "low", "status": "open"},
        headers={**agent_headers, "If-Match": '"1"'},
    )

    assert stale.status_code == 412
    assert stale.content_type == PROBLEM
    assert stale.json["type"].endswith("#problem-stale-version")
    assert "version 1" in stale.json["detail"]
    after = client.get(url, headers=agent_headers).json
    assert (after["priority"], after["status"]) == ("high", "new")
    assert after["version"] == first.json["version"]


def test_a_refused_change_undoes_the_whole_patch(client, agent_headers, new_ticket):
    ticket = new_ticket()
    url = f"/api/v1/tickets/{ticket['id']}"

    response = client.patch(
        url, json={"priority": "low", "status": "closed"}, headers=agent_headers
    )

    assert response.status_code == 409
    assert response.json["type"].endswith("#problem-invalid-transition")
    after = client.get(url, headers=agent_headers).json
    assert (after["priority"], after["status"], after["version"]) == (
        "critical",
        "new",
        1,
    )


def test_patch_rejects_an_empty_body_and_unknown_assignee(
    client, agent_headers, new_ticket
):
    url = f"/api/v1/tickets/{new_ticket()['id']}"
    empty = client.patch(url, json={}, headers=agent_headers)
    assert empty.status_code == 422
    assert list(empty.json["fields"]) == ["_schema"]
    nobody = client.patch(url, json={"assignee": 99999}, headers=agent_headers)
    assert nobody.status_code == 422
    assert list(nobody.json["fields"]) == ["assignee"]


def test_messages_reply_note_and_list(client, agent_headers, new_ticket):
    ticket = new_ticket()
    url = f"/api/v1/tickets/{ticket['id']}/messages"

    note = client.post(
        url, json={"body": "Checking the logs.", "public": False}, headers=agent_headers
    )
    reply = client.post(
        url,
        json={"body": "We are on it.", "public": True, "status": "pending"},
        headers=agent_headers,
    )

    assert note.status_code == 201
    assert reply.status_code == 201
    assert reply.json["author"]["type"] == "agent"
    listed = client.get(url, headers=agent_headers).json["data"]
    assert [(m["public"], m["body"]) for m in listed] == [
        (True, NEW_TICKET["description"]),
        (False, "Checking the logs."),
        (True, "We are on it."),
    ]
    after = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent_headers).json
    assert after["status"] == "pending"
    acknowledge = next(t for t in after["sla"] if t["metric"] == "acknowledge")
    assert acknowledge["state"] == "met"


def test_message_needs_body_and_public(client, agent_headers, new_ticket):
    url = f"/api/v1/tickets/{new_ticket()['id']}/messages"
    response = client.post(url, json={"body": ""}, headers=agent_headers)
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"body", "public"}


def test_events_are_the_audit_log(client, agent_headers, new_ticket):
    ticket = new_ticket()
    client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"priority": "high"},
        headers=agent_headers,
    )

    events = client.get(
        f"/api/v1/tickets/{ticket['id']}/events", headers=agent_headers
    ).json["data"]

    assert [e["kind"] for e in events][:2] == ["created", "priority"]
    change = events[1]
    assert (change["field"], change["before"], change["after"]) == (
        "priority",
        "critical",
        "high",
    )
    assert change["actor"]["type"] == "agent"


def test_escalate_moves_up_a_tier_with_the_reason(
    client, agent_headers, new_ticket, database
):
    ticket = new_ticket()
    url = f"/api/v1/tickets/{ticket['id']}/escalate"

    response = client.post(
        url,
        json={"reason": "Needs a database expert"},
        headers={**agent_headers, "If-Match": '"1"'},
    )

    assert response.status_code == 200, response.json
    assert response.json["tier"] == 2
    assert "tier2_response" in {t["metric"] for t in response.json["sla"]}
    with database.session() as session:
        event = session.scalar(
            select(TicketEvent).where(TicketEvent.kind == "escalated")
        )
        assert event.data["reason"] == "Needs a database expert"


def test_escalate_needs_a_reason_and_a_step_left(client, agent_headers, new_ticket):
    ticket = new_ticket(priority="medium")
    url = f"/api/v1/tickets/{ticket['id']}/escalate"
    assert client.post(url, json={}, headers=agent_headers).status_code == 422
    for _ in range(2):
        assert (
            client.post(url, json={"reason": "up"}, headers=agent_headers).status_code
            == 200
        )
    top = client.post(url, json={"reason": "up"}, headers=agent_headers)
    assert top.status_code == 409
    assert top.content_type == PROBLEM


def test_solving_mails_the_satisfaction_survey_once_per_solve(
    client, agent_headers, new_ticket, database
):
    from slaengine.models import OutboxMessage

    ticket = new_ticket()
    url = f"/api/v1/tickets/{ticket['id']}"

    def surveys():
        with database.session() as session:
            return session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key.startswith(f"survey:{ticket['id']}:")
                )
            ).all()

    solved = client.patch(
        url, json={"status": "solved"}, headers={**agent_headers, "If-Match": '"1"'}
    )
    assert solved.status_code == 200, solved.json
    (survey,) = surveys()
    assert survey.recipient == NEW_TICKET["requester"]["email"]
    assert "How did we do?" in survey.subject
    assert re.search(r"http://\S+/t/\S+/survey\?rating=good", survey.body)

    client.patch(
        url,
        json={"tags": ["followed-up"]},
        headers={**agent_headers, "If-Match": solved.headers["ETag"]},
    )
    assert len(surveys()) == 1
