"""Outgoing webhooks: subscriptions, queuing, signed delivery with retries."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from slaengine.clock import utcnow
from slaengine.config import load_settings
from slaengine.delivery import deliver_due
from slaengine.models import OutboxMessage, WebhookDelivery
from slaengine.sla.sweep import run_sweep
from slaengine.webhooks import EVENT_TYPES, verify

SECRET = "a-shared-secret-for-tests"


class Receiver:
    """A real HTTP server on localhost that answers with queued status codes."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/slaengine"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    receiver.thread.join(timeout=5)


@pytest.fixture
def settings(database, tmp_path):
    return load_settings(
        {"DATABASE_URL": database.url, "SLAENGINE_INSTANCE": str(tmp_path)}
    )


@pytest.fixture
def webhook(client, admin_headers, receiver):
    response = client.post(
        "/api/v1/webhooks",
        headers=admin_headers,
        json={"url": receiver.url, "event_types": list(EVENT_TYPES), "secret": SECRET},
    )
    assert response.status_code == 201, response.json
    return response.json


def queued(database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "webhook")
                .order_by(OutboxMessage.id)
            )
        )


def test_admin_registers_lists_and_deletes(client, admin_headers, webhook):
    assert webhook["secret"] == SECRET
    listed = client.get("/api/v1/webhooks", headers=admin_headers).json["data"]
    assert [(w["id"], w["url"]) for w in listed] == [(webhook["id"], webhook["url"])]
    assert "secret" not in listed[0]

    deleted = client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    assert client.get("/api/v1/webhooks", headers=admin_headers).json["data"] == []
    again = client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=admin_headers)
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "event_types": ["sla.breach"]}, "url"),
        (
            {"url": "https://example.com/x", "event_types": ["sla.late"]},
            "event_types.0",
        ),
        ({"url": "https://example.com/x", "event_types": []}, "event_types"),
        (
            {
                "url": "https://example.com/x",
                "event_types": ["sla.breach"],
                "secret": "short",
            },
            "secret",
        ),
    ],
)
def test_bad_subscriptions_name_the_field(client, admin_headers, body, field):
    response = client.post("/api/v1/webhooks", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert list(response.json["fields"]) == [field]


def test_signed_delivery_retried_after_the_receiver_fails_once(
    client,
    agent_headers,
    admin_headers,
    webhook,
    receiver,
    new_ticket,
    database,
    settings,
    frozen_clock,
):
    ticket = new_ticket()
    [row] = queued(database)
    assert (row.recipient, row.headers["webhook_id"]) == (receiver.url, webhook["id"])
    receiver.statuses = [500]

    assert deliver_due(database, settings, now=utcnow()) == 0
    [row] = queued(database)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == utcnow() + timedelta(seconds=30)
    assert deliver_due(database, settings, now=utcnow()) == 0  # not due yet

    frozen_clock.tick(timedelta(seconds=31))
    assert deliver_due(database, settings, now=utcnow()) == 1

    assert [row.status for row in queued(database)] == ["sent"]
    assert len(receiver.requests) == 2
    (first_headers, first), (headers, body) = receiver.requests
    assert first == body
    assert verify(SECRET, body, headers["X-Slaengine-Signature"])
    assert not verify(
        "another secret of enough length", body, headers["X-Slaengine-Signature"]
    )
    assert headers["X-Slaengine-Event"] == "ticket.created"
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["type"] == "ticket.created"
    assert payload["ticket"]["id"] == ticket["id"]
    assert payload["ticket"]["sla"][0]["due_at"] == ticket["sla"][0]["due_at"]

    log = client.get(
        f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=admin_headers
    ).json["data"]
    assert [(d["attempt"], d["status_code"]) for d in log] == [(2, 204), (1, 500)]
    assert log[1]["error"] == "receiver answered HTTP 500"


def test_unreachable_receiver_is_logged_and_retried(
    client, admin_headers, new_ticket, database, settings
):
    client.post(
        "/api/v1/webhooks",
        headers=admin_headers,
        json={"url": "http://127.0.0.1:9/closed", "event_types": ["ticket.created"]},
    )
    new_ticket()
    assert deliver_due(database, settings, now=utcnow()) == 0
    with database.session() as session:
        [log] = session.scalars(select(WebhookDelivery))
        assert log.status_code is None
        assert "Error" in log.error


def test_status_changes_escalations_and_sla_warnings_are_queued(
    client, agent_headers, webhook, new_ticket, database, frozen_clock
):
    ticket = new_ticket()
    url = f"/api/v1/tickets/{ticket['id']}"
    client.patch(url, json={"status": "open"}, headers=agent_headers)
    client.post(f"{url}/escalate", json={"reason": "expert"}, headers=agent_headers)
    frozen_clock.tick(timedelta(minutes=12))  # past the 75% warning of 15 min
    run_sweep(database, now=utcnow(), batch_size=100)

    bodies = [json.loads(row.body) for row in queued(database)]
    types = [body["type"] for body in bodies]
    assert types[:3] == ["ticket.created", "ticket.status_changed", "escalation"]
    assert "sla.warning" in types
    status = bodies[1]["data"]
    assert status == {"from": "new", "to": "open"}
    assert bodies[2]["data"]["to_tier"] == 2
    assert bodies[2]["data"]["reason"] == "expert"
    warning = bodies[types.index("sla.warning")]
    assert warning["data"]["metric"] == "acknowledge"
    assert warning["ticket"]["id"] == ticket["id"]


def test_deleting_a_webhook_drops_its_queue_and_keeps_its_log(
    client, admin_headers, webhook, new_ticket, database, settings, receiver
):
    new_ticket()
    receiver.statuses = [503]
    deliver_due(database, settings, now=utcnow())
    client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=admin_headers)

    [row] = queued(database)
    assert (row.status, row.last_error) == ("dead", "webhook deleted")
    with database.session() as session:
        [log] = session.scalars(select(WebhookDelivery))
        assert log.webhook_id is None
        assert log.status_code == 503


def test_nothing_is_queued_without_a_subscription(new_ticket, database):
    new_ticket()
    assert queued(database) == []
