"""Outbound email through a real SMTP server (aiosmtpd) on localhost."""

from __future__ import annotations

import re
import ssl
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from slaengine.config import load_settings
from slaengine.delivery import deliver_due
from slaengine.events import Actor
from slaengine.mail.intake import receive
from slaengine.models import Attachment, Message, OutboxMessage, Ticket
from slaengine.outbox import enqueue_email
from slaengine.people import create_user
from slaengine.replies import reply_to_customer
from tests.mail.conftest import Received, _Collect, free_port
from tests.mail.test_intake import NOW, compose
from web import create_app


@pytest.fixture
def settings(mail_env, smtp_server):
    return load_settings()


def _customer_ticket(database, settings, smtp_server) -> int:
    """A ticket opened by email; its confirmation is sent and set aside."""
    raw = compose(extra="Cc: kim@partner.example")
    ticket_id = receive(
        database, raw, source="mailgate", settings=settings, now=NOW
    ).ticket_id
    assert deliver_due(database, settings, now=NOW) == 1
    [confirmation] = smtp_server.received.messages
    assert confirmation["Subject"].startswith(f"[#{ticket_id}] We received")
    smtp_server.received.envelopes.clear()
    return ticket_id


def _agent_reply(database, ticket_id, body="Please restart the printer.") -> None:
    with database.session() as session:
        agent = create_user(
            session, email="ana@help.example", name="Ana", password="x" * 10
        )
        reply_to_customer(
            session,
            session.get(Ticket, ticket_id),
            body=body,
            actor=Actor.for_user(agent),
            now=NOW + timedelta(minutes=10),
        )


def _outbox(database) -> list[OutboxMessage]:
    """The outbox but for new tickets' confirmations."""
    with database.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.dedupe_key.not_like("portal-confirmation:%"))
                .order_by(OutboxMessage.id)
            )
        )


def test_a_new_ticket_by_email_is_confirmed_with_its_private_link(
    database, mail_env, smtp_server, monkeypatch
):
    monkeypatch.setenv("PUBLIC_URL", "https://support.example/")
    settings = load_settings()
    ticket_id = receive(
        database, compose(), source="mailgate", settings=settings, now=NOW
    ).ticket_id

    assert deliver_due(database, settings, now=NOW) == 1

    [(_sender, recipients, _raw)] = smtp_server.received.envelopes
    [sent] = smtp_server.received.messages
    assert recipients == ["pat@customer.example"]
    assert sent["Subject"] == (
        f"[#{ticket_id}] We received your request: Printer on fire"
    )
    assert sent["In-Reply-To"] == "<a1@mua.example>"
    assert sent["Auto-Submitted"] == "auto-replied"
    body = sent.get_body(("plain",)).get_content()
    assert f"opened ticket #{ticket_id}" in body
    [url] = re.findall(r"https://support\.example/t/\S+", body)
    portal = create_app(
        {"DATABASE": database, "SLAENGINE_INSTANCE": str(settings.instance_path)}
    )
    page = portal.test_client().get(urlsplit(url).path)
    assert page.status_code == 200
    assert "Printer on fire" in page.get_data(as_text=True)

    # The customer's next email adds to the ticket; it is not confirmed again.
    answer = compose(
        message_id="a2@mua.example",
        subject=f"Re: [#{ticket_id}] Printer on fire",
        body="More smoke now.",
    )
    later = NOW + timedelta(minutes=5)
    result = receive(database, answer, source="mailgate", settings=settings, now=later)
    assert result.ticket_id == ticket_id
    assert deliver_due(database, settings, now=later) == 0
    assert len(smtp_server.received.envelopes) == 1


def test_an_agent_reply_keeps_the_customers_thread(database, settings, smtp_server):
    ticket_id = _customer_ticket(database, settings, smtp_server)
    _agent_reply(database, ticket_id)

    assert deliver_due(database, settings, now=NOW + timedelta(minutes=11)) == 1

    [(sender, recipients, _raw)] = smtp_server.received.envelopes
    [sent] = smtp_server.received.messages
    assert sorted(recipients) == ["kim@partner.example", "pat@customer.example"]
    assert sent["Subject"] == f"[#{ticket_id}] Printer on fire"
    assert sent["In-Reply-To"] == "<a1@mua.example>"
    assert "<a1@mua.example>" in sent["References"]
    assert sent["Message-ID"].endswith("@help.example>")
    assert sent["Auto-Submitted"] is None
    assert sent["Cc"] == "kim@partner.example"
    assert (
        sent.get_body(("plain",))
        .get_content()
        .startswith("Please restart the printer.")
    )
    assert "<p>Please restart the printer." in sent.get_body(("html",)).get_content()
    assert _outbox(database)[0].headers["Message-ID"] == sent["Message-ID"]


def test_a_notification_is_marked_automatic_and_carries_attachments(
    database, settings, smtp_server
):
    ticket_id = _customer_ticket(database, settings, smtp_server)
    folder = settings.instance_path / "attachments"
    raw = (
        compose(extra="MIME-Version: 1.0")
        .replace(
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n",
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            b"Content-Type: text/plain\r\n\r\nLog attached.\r\n--b\r\n"
            b'Content-Type: text/plain; name="app.log"\r\n'
            b'Content-Disposition: attachment; filename="app.log"\r\n\r\n'
            b"ERROR 42\r\n--b--\r\n",
        )
        .replace(b"a1@mua.example", b"a2@mua.example")
    )
    receive(database, raw, source="mailgate", settings=settings, now=NOW)
    with database.session() as session:
        attachment_id = session.scalar(select(Attachment.id))
        enqueue_email(
            session,
            dedupe_key="notice:1",
            ticket=session.get(Ticket, ticket_id),
            recipient="pat@customer.example",
            subject="We are on it",
            body="An engineer has your ticket.",
            now=NOW,
            headers={"_attachments": [attachment_id]},
        )

    deliver_due(database, settings, now=NOW)

    # The second email opened a ticket of its own, confirmed like the first.
    [sent] = [
        m for m in smtp_server.received.messages if "We received" not in m["Subject"]
    ]
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["Subject"] == f"[#{ticket_id}] We are on it"
    [part] = list(sent.iter_attachments())
    assert (part.get_filename(), part.get_content()) == ("app.log", "ERROR 42")
    assert folder.is_dir()


def test_an_outage_keeps_the_mail_and_it_goes_out_exactly_once(
    database, settings, smtp_server
):
    ticket_id = _customer_ticket(database, settings, smtp_server)
    _agent_reply(database, ticket_id)
    smtp_server.stop()

    assert deliver_due(database, settings, now=NOW + timedelta(minutes=11)) == 0
    [row] = _outbox(database)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Error" in row.last_error

    smtp_server.start()
    assert (
        deliver_due(database, settings, now=NOW + timedelta(minutes=11, seconds=10))
        == 0
    )
    assert deliver_due(database, settings, now=NOW + timedelta(minutes=12)) == 1
    assert deliver_due(database, settings, now=NOW + timedelta(hours=5)) == 0
    assert len(smtp_server.received.envelopes) == 1
    assert _outbox(database)[0].status == "sent"


def test_a_client_reply_to_a_notification_lands_and_an_out_of_office_does_not(
    database, settings, smtp_server
):
    ticket_id = _customer_ticket(database, settings, smtp_server)
    _agent_reply(database, ticket_id)
    deliver_due(database, settings, now=NOW + timedelta(minutes=11))
    [sent] = smtp_server.received.messages
    answer = (
        f"From: Pat Doe <pat@customer.example>\r\nTo: {sent['From']}\r\n"
        f"Subject: Re: {sent['Subject']}\r\nMessage-ID: <a3@mua.example>\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['References']} "
        f"{sent['Message-ID']}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Restarted, it works now.\r\n\r\n"
        "On Wed, Ana wrote:\r\n> Please restart the printer.\r\n"
    ).encode()
    out_of_office = (
        f"From: Pat Doe <pat@customer.example>\r\nTo: {sent['From']}\r\n"
        f"Subject: Automatic reply: {sent['Subject']}\r\n"
        "Message-ID: <oof@mua.example>\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\nAuto-Submitted: auto-replied\r\n"
        "X-Auto-Response-Suppress: All\r\n\r\nI am away until Monday.\r\n"
    ).encode()

    landed = receive(
        database,
        answer,
        source="mailgate",
        settings=settings,
        now=NOW + timedelta(hours=1),
    )
    ignored = receive(
        database,
        out_of_office,
        source="mailgate",
        settings=settings,
        now=NOW + timedelta(hours=1),
    )
    deliver_due(database, settings, now=NOW + timedelta(hours=2))

    assert (landed.status, landed.ticket_id) == ("processed", ticket_id)
    assert ignored.status == "set_aside"
    with database.session() as session:
        bodies = session.scalars(
            select(Message.body_text)
            .where(Message.ticket_id == ticket_id)
            .order_by(Message.id)
        ).all()
    assert len(_outbox(database)) == 1
    assert bodies[-1].startswith("Restarted, it works now.")
    assert not any("away until Monday" in body for body in bodies)
    assert len(smtp_server.received.envelopes) == 1


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"engine" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


# With implicit TLS aiosmtpd cannot tell the socket is encrypted, so the test
# server is told not to insist on STARTTLS before AUTH, and warns about it.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_smtp_over_tls_with_authentication(
    database, mail_env, tls_certificate, monkeypatch, security
):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_certificate.cert, tls_certificate.key)
    received, port = Received(), free_port()
    options = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}
    )
    server = Controller(
        _Collect(received),
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        **options,
    )
    server.start()
    monkeypatch.setenv("SSL_CERT_FILE", tls_certificate.cert)
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": security,
        "SMTP_USERNAME": "engine",
        "SMTP_PASSWORD": "s3cret",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        with database.session() as session:
            enqueue_email(
                session,
                dedupe_key="tls:1",
                ticket=None,
                recipient="a@b.example",
                subject="Hello",
                body="Over TLS.",
                now=NOW,
            )
        assert deliver_due(database, load_settings(), now=NOW) == 1
    finally:
        server.stop()
    assert received.messages[0]["Subject"] == "Hello"
