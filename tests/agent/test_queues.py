"""The queue pages: each view, filters, search, order, pages, refresh, bulk."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from slaengine import tickets as ticket_service
from slaengine.events import Actor
from slaengine.models import Ticket, User
from tests.agent.conftest import client_as, token


def refs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-ticket-id="(\d+)"', html)]


def change(database, ticket_id: int, apply) -> None:
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        apply(session, ticket)


def staff_member(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


@pytest.mark.parametrize(
    "name", ["mine", "unassigned", "breaching", "breached", "escalated", "all"]
)
def test_every_queue_renders(agent_client, seed, name):
    response = agent_client.get(f"/agent/queues/{name}")
    assert response.status_code == 200
    assert 'aria-current="page"' in response.text


def test_unknown_queue_is_not_found(agent_client):
    assert agent_client.get("/agent/queues/everything").status_code == 404


def test_unassigned_holds_new_tickets_of_my_center_and_tier(
    agent_client, seed, database
):
    mine = seed()
    elsewhere = seed(
        subject="Login outage", requester_email="kim@apac-customer.example"
    )
    change(database, elsewhere, lambda s, t: setattr(t, "center", "apac"))
    html = agent_client.get("/agent/queues/unassigned").text
    assert refs(html) == [mine]
    assert "acknowledge in" in html


def test_my_queue_lists_what_i_claimed(agent_client, seed, database):
    ticket_id = seed()

    def claim(session, ticket):
        agent = staff_member(session, "agent@support.example")
        ticket_service.assign(session, ticket, agent, actor=Actor.for_user(agent))

    change(database, ticket_id, claim)
    assert refs(agent_client.get("/agent/queues/mine").text) == [ticket_id]
    assert refs(agent_client.get("/agent/queues/unassigned").text) == []


def test_breached_and_breaching_queues_follow_the_timers(agent_client, seed, database):
    breached, warned, calm = seed(), seed(), seed()
    with database.session() as session:
        for timer in session.get(Ticket, breached).timers:
            if timer.metric == "acknowledge":
                timer.due_at = timer.started_at
        for timer in session.get(Ticket, warned).timers:
            if timer.metric == "acknowledge":
                timer.warn_at = timer.started_at
    assert refs(agent_client.get("/agent/queues/breached").text) == [breached]
    assert refs(agent_client.get("/agent/queues/breaching").text) == [warned]
    html = agent_client.get("/agent/queues/all").text
    assert set(refs(html)) == {breached, warned, calm}
    assert "sla-breached" in html
    assert "sla-warning" in html


def test_escalated_queue_lists_tickets_above_tier_one(agent_client, seed, database):
    seed()
    escalated = seed()
    change(
        database,
        escalated,
        lambda s, t: ticket_service.change_tier(
            s, t, 2, actor=Actor.system(), reason="needs an expert"
        ),
    )
    assert refs(agent_client.get("/agent/queues/escalated").text) == [escalated]


def test_filters_narrow_the_queue(agent_client, seed):
    low = seed(priority="low", tags=["billing"])
    medium = seed(priority="medium")
    assert refs(agent_client.get("/agent/queues/all?priority=low").text) == [low]
    assert refs(agent_client.get("/agent/queues/all?tag=billing").text) == [low]
    assert refs(agent_client.get("/agent/queues/all?tag=bill").text) == []
    assert set(
        refs(
            agent_client.get(
                "/agent/queues/all?center=emea&tier=1"
                "&account_tier=strategic&language=en"
            ).text
        )
    ) == {low, medium}
    assert refs(agent_client.get("/agent/queues/all?account_tier=standard").text) == []
    assert set(refs(agent_client.get("/agent/queues/all?assignee=none").text)) == {
        low,
        medium,
    }
    assert refs(agent_client.get("/agent/queues/all?status=pending").text) == []


def test_search_covers_subject_messages_and_reference(agent_client, seed):
    by_subject = seed(subject="Invoice address change")
    by_message = seed(description="The error says ERR_QUOTA_42 when uploading")
    assert refs(agent_client.get("/agent/queues/all?q=invoice").text) == [by_subject]
    assert refs(agent_client.get("/agent/queues/all?q=err_quota").text) == [by_message]
    assert refs(agent_client.get(f"/agent/queues/all?q=%23{by_message}").text) == [
        by_message
    ]
    assert refs(agent_client.get("/agent/queues/all?q=100%25").text) == []


def test_bad_filter_values_are_refused_with_the_reason(agent_client):
    response = agent_client.get("/agent/queues/all?priority=urgent")
    assert response.status_code == 422
    assert "priority: unknown value" in response.text
    assert agent_client.get("/agent/queues/all?tier=two").status_code == 422
    assert agent_client.get("/agent/queues/all?page=0").status_code == 422
    assert agent_client.get("/agent/queues/all?sort=random").status_code == 422


def test_sort_orders(agent_client, seed):
    first, second = seed(priority="low"), seed(priority="medium")
    assert refs(agent_client.get("/agent/queues/all?sort=newest").text) == [
        second,
        first,
    ]
    assert refs(agent_client.get("/agent/queues/all?sort=oldest").text) == [
        first,
        second,
    ]
    assert refs(agent_client.get("/agent/queues/all?sort=priority").text) == [
        second,
        first,
    ]
    assert refs(agent_client.get("/agent/queues/all").text) == [second, first]


def test_pages_of_fifty(agent_client, seed):
    ids = [seed(priority="low") for _ in range(51)]
    page_one = agent_client.get("/agent/queues/all?sort=oldest")
    assert refs(page_one.text) == ids[:50]
    assert "tickets 1–50" in page_one.text
    assert 'rel="next"' in page_one.text
    page_two = agent_client.get("/agent/queues/all?sort=oldest&page=2")
    assert refs(page_two.text) == ids[50:]
    assert 'rel="next"' not in page_two.text
    assert "sort=oldest" in re.search(
        r'rel="prev" href="([^"]+)"', page_two.text
    ).group(1)


def test_refresh_returns_only_the_rows(agent_client, seed):
    ticket_id = seed()
    response = agent_client.get("/agent/queues/all?partial=1")
    assert response.text.lstrip().startswith("<tbody")
    assert refs(response.text) == [ticket_id]
    assert "<html" not in response.text


def test_subjects_and_names_are_escaped(agent_client, seed):
    seed(
        subject="<script>alert(1)</script>",
        requester_name="<b>Eve</b>",
        requester_email="eve@elsewhere.example",
    )
    html = agent_client.get("/agent/queues/all").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Eve</b>" not in html


def test_bulk_assign_to_me_and_change_priority(agent_client, seed, database):
    one, two = seed(), seed()
    response = agent_client.post(
        "/agent/queues/all/bulk",
        data={
            "csrf_token": token(agent_client),
            "ticket": [one, two],
            "action": "assign",
            "assign_value": "me",
            "back": "sort=oldest",
        },
    )
    assert response.location == "/agent/queues/all?sort=oldest"
    agent_client.post(
        "/agent/queues/all/bulk",
        data={
            "csrf_token": token(agent_client),
            "ticket": [one],
            "action": "priority",
            "priority_value": "high",
        },
    )
    with database.session() as session:
        tickets = [session.get(Ticket, i) for i in (one, two)]
        assert {t.assignee.email for t in tickets} == {"agent@support.example"}
        assert [t.priority for t in tickets] == ["high", "medium"]


def test_bulk_reports_the_tickets_it_could_not_change(agent_client, seed, database):
    open_one, closed = seed(), seed()
    change(
        database,
        closed,
        lambda s, t: (
            ticket_service.change_status(s, t, "solved", actor=Actor.system()),
            ticket_service.change_status(s, t, "closed", actor=Actor.system()),
        ),
    )
    agent_client.post(
        "/agent/queues/all/bulk",
        data={
            "csrf_token": token(agent_client),
            "ticket": [open_one, closed],
            "action": "status",
            "status_value": "pending",
        },
    )
    html = agent_client.get("/agent/queues/all").text
    assert "Changed 1 ticket(s)." in html
    assert (
        f"#{closed} was not changed: cannot change status from &#39;closed&#39;" in html
    )


def test_bulk_without_selection_is_refused(agent_client):
    response = agent_client.post(
        "/agent/queues/all/bulk",
        data={
            "csrf_token": token(agent_client),
            "action": "assign",
            "assign_value": "me",
        },
    )
    assert response.status_code == 422
    assert "select at least one ticket" in response.text


def test_executives_cannot_bulk_change(app, seed):
    ticket_id = seed()
    client = client_as(app, "exec@support.example")
    response = client.post(
        "/agent/queues/all/bulk",
        data={
            "csrf_token": token(client),
            "ticket": [ticket_id],
            "action": "priority",
            "priority_value": "low",
        },
    )
    assert response.status_code == 403
    assert "Set priority" not in client.get("/agent/queues/all").text
