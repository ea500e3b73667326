"""``GET /tickets``: filters, sorts and cursor pages."""

from __future__ import annotations

from datetime import timedelta

import pytest


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["data"]]


def test_pages_stay_stable_while_tickets_are_added(
    client, agent_headers, new_ticket, frozen_clock
):
    first_five = [new_ticket(subject=f"Ticket {n}")["id"] for n in range(5)]
    seen, url = [], "/api/v1/tickets?limit=2"
    while url:
        response = client.get(url, headers=agent_headers)
        seen += ids(response)
        new_ticket(subject="Arrived meanwhile")
        frozen_clock.tick(timedelta(seconds=1))
        url = response.json["links"]["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
    assert seen == sorted(first_five, reverse=True)


def test_ascending_created_walks_everything_once(
    client, agent_headers, new_ticket, frozen_clock
):
    made = [new_ticket()["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        query = "sort=created&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(f"/api/v1/tickets?{query}", headers=agent_headers)
        seen += ids(response)
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_filters(client, agent_headers, new_ticket, organization, frozen_clock):
    critical = new_ticket(tags=["db"])["id"]
    frozen_clock.tick(timedelta(hours=1))
    low = new_ticket(
        priority="low", organization="Globex", requester={"email": "ann@globex.example"}
    )["id"]
    client.patch(
        f"/api/v1/tickets/{low}", json={"status": "open"}, headers=agent_headers
    )

    def find(query: str) -> list[int]:
        return ids(client.get(f"/api/v1/tickets?{query}", headers=agent_headers))

    assert find("priority=critical") == [critical]
    assert find("priority=critical&priority=low") == [low, critical]
    assert find("status=open") == [low]
    assert find(f"organization={organization.id}") == [low]
    assert find("requester=ANN@globex.example") == [low]
    assert find("tag=db") == [critical]
    assert find("tier=1&unassigned=true") == [low, critical]
    assert find("created_after=2026-12-02T15:30:00Z") == [low]
    assert find("created_before=2026-12-02T15:30:00%2B00:00") == [critical]
    assert find("breaching_before=2026-12-02T15:20:00Z") == [critical]
    assert find("breaching_before=2026-12-02T15:10:00Z") == []


def test_sorts(client, agent_headers, new_ticket, frozen_clock):
    low = new_ticket(priority="low")["id"]
    frozen_clock.tick(timedelta(minutes=1))
    critical = new_ticket(priority="critical")["id"]
    frozen_clock.tick(timedelta(minutes=1))
    high = new_ticket(priority="high")["id"]

    def order(sort: str) -> list[int]:
        return (
            ids(
                client.get(
                    f"/api/v1/tickets?sort={sort}&limit=1", headers=agent_headers
                )
            )
            + ids(client.get(f"/api/v1/tickets?sort={sort}", headers=agent_headers))[1:]
        )

    assert order("priority") == [critical, high, low]
    assert order("-priority") == [low, high, critical]
    assert order("next_deadline") == [critical, high, low]
    assert order("created") == [low, critical, high]
    assert order("-updated") == [high, critical, low]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("sort=colour", "sort"),
        ("status=waiting", "status.0"),
        ("created_after=2026-12-02T15:00:00", "created_after"),
        ("cursor=garbage", "cursor"),
        ("colour=red", "colour"),
    ],
)
def test_bad_queries_name_the_parameter(client, agent_headers, query, field):
    response = client.get(f"/api/v1/tickets?{query}", headers=agent_headers)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert list(response.json["fields"]) == [field]


def test_a_cursor_is_bound_to_its_sort(client, agent_headers, new_ticket):
    for _ in range(3):
        new_ticket()
    cursor = client.get("/api/v1/tickets?limit=1", headers=agent_headers).json[
        "next_cursor"
    ]
    response = client.get(
        f"/api/v1/tickets?sort=priority&cursor={cursor}", headers=agent_headers
    )
    assert response.status_code == 422
    assert "made for sort='-created'" in response.json["detail"]
