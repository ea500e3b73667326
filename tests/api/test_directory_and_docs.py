"""Reference data endpoints, the OpenAPI document and its reference page."""

from __future__ import annotations

import jsonschema_rs
from schemathesis.specs.openapi.definitions import OPENAPI_30

from slaengine.people import create_organization


def test_organizations_page_and_filter(client, agent_headers, database):
    with database.session() as session:
        for name in ("Globex", "Initech", "Globe_Trotters"):
            create_organization(session, name=name, region="emea")

    everyone = client.get("/api/v1/organizations?limit=2", headers=agent_headers).json
    assert [o["name"] for o in everyone["data"]] == ["Globex", "Initech"]
    rest = client.get(everyone["links"]["next"], headers=agent_headers).json
    assert [o["name"] for o in rest["data"]] == ["Globe_Trotters"]
    assert rest["next_cursor"] is None
    found = client.get("/api/v1/organizations?name=E_T", headers=agent_headers).json
    assert [o["name"] for o in found["data"]] == ["Globe_Trotters"]


def test_users_filters_for_assignment_pickers(client, auth):
    headers = auth("agent", center="apac", tier=1, languages=["ja"])
    auth("lead", center="emea", tier=2)

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/users?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [u["role"] for u in response.json["data"]]

    assert names("") == ["agent", "lead"]
    assert names("center=apac") == ["agent"]
    assert names("tier=2") == ["lead"]
    assert names("language=ja") == ["agent"]
    assert client.get("/api/v1/users?role=boss", headers=headers).status_code == 422


def test_policies_in_force(client, agent_headers):
    body = client.get("/api/v1/sla/policies", headers=agent_headers).json
    default = next(p for p in body["data"] if p["name"] == "default")
    assert default["priorities"]["critical"]["target_minutes"]["acknowledge"] == 15
    assert default["priorities"]["medium"]["calendar"] == "business"


def test_openapi_document_is_valid_and_complete(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    jsonschema_rs.validator_for(OPENAPI_30).validate(document)
    assert set(document["paths"]) == {
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/messages",
        "/api/v1/tickets/{ticket_id}/events",
        "/api/v1/tickets/{ticket_id}/escalate",
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/sla/policies",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{webhook_id}",
        "/api/v1/webhooks/{webhook_id}/deliveries",
    }
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    problem = document["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_reference_page_is_rendered_by_the_app(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert "<link" not in page
    for text in (
        "/api/v1/tickets/{ticket_id}/escalate",
        'id="problem-stale-version"',
        'id="schema-TicketDetail"',
        "X-Slaengine-Signature",
        "executive",
    ):
        assert text in page


def test_html_pages_outside_the_api_keep_their_own_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
