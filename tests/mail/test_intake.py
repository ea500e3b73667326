"""Intake on a committing database: threading, noise, duplicates, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from slaengine import tickets as ticket_service
from slaengine.events import Actor
from slaengine.mail.intake import (
    process_inbound,
    process_waiting,
    receive,
    retry,
    store_raw,
)
from slaengine.models import (
    InboundMessage,
    Message,
    OutboxMessage,
    Ticket,
    TicketEvent,
    TicketParticipant,
)
from slaengine.outbox import enqueue_email
from tests.mail.conftest import SUPPORT, URGENT
from tests.timepoints import utc

NOW = utc(2026, 12, 2, 10, 0)  # a Wednesday


def compose(
    *,
    sender: str = "pat@customer.example",
    to: str = SUPPORT,
    subject: str = "Printer on fire",
    body: str = "The printer in room 4 is on fire again.",
    message_id: str | None = "a1@mua.example",
    extra: str = "",
) -> bytes:
    lines = [
        f"From: Pat Doe <{sender}>",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Wed, 02 Dec 2026 10:00:00 +0000",
    ]
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    head = "\r\n".join(lines) + ("\r\n" + extra.strip() if extra.strip() else "")
    return (
        head + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode()


@pytest.fixture
def intake(database, mail_settings):
    def run(raw: bytes, *, now=NOW):
        return receive(
            database, raw, source="mailgate", settings=mail_settings, now=now
        )

    return run


def _count(database, column) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(column)))


def _ticket(database, ticket_id) -> Ticket:
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.requester  # noqa: B018 (load before the session closes)
        return ticket


def _messages(database, ticket_id) -> list[Message]:
    with database.session() as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.ticket_id == ticket_id)
                .order_by(Message.id)
            )
        )


def test_new_mail_opens_a_ticket_with_participants_and_language(intake, database):
    raw = compose(
        to=f"{SUPPORT}, lee@customer.example",
        extra="Cc: Kim <kim@partner.example>, support+9@help.example",
        body="Der Drucker ist kaputt und wir können nicht mit der Arbeit anfangen.",
    )

    result = intake(raw)

    assert result.status == "processed"
    ticket = _ticket(database, result.ticket_id)
    assert (ticket.channel, ticket.priority, ticket.language) == (
        "email",
        "medium",
        "de",
    )
    assert ticket.requester.email == "pat@customer.example"
    assert ticket.requester.name == "Pat Doe"
    with database.session() as session:
        participants = set(session.scalars(select(TicketParticipant.email)))
    assert participants == {"lee@customer.example", "kim@partner.example"}


def test_the_mailbox_sets_the_priority_and_content_language_the_language(
    intake, database
):
    result = intake(compose(to=URGENT, extra="Content-Language: fr-FR"))

    ticket = _ticket(database, result.ticket_id)
    assert (ticket.priority, ticket.language) == ("high", "fr")


def test_a_message_delivered_twice_is_stored_once(intake, database):
    raw = compose()
    relayed = (
        b"Received: from relay.example by mx.help.example; Wed, 2 Dec 2026\r\n" + raw
    )
    no_id = compose(message_id=None, subject="No id")

    first, again, via_relay = intake(raw), intake(raw), intake(relayed)
    intake(no_id)
    intake(no_id)

    assert again.is_duplicate
    assert via_relay.is_duplicate
    assert again.inbound_id == via_relay.inbound_id == first.inbound_id
    assert _count(database, InboundMessage.id) == 2
    assert _count(database, Ticket.id) == 2


def test_a_different_message_reusing_a_message_id_is_kept(intake, database):
    first = intake(compose(body="First question."))
    second = intake(compose(body="A different question.", sender="kim@partner.example"))

    assert not second.is_duplicate
    assert {first.status, second.status} == {"processed"}
    assert _count(database, InboundMessage.id) == 2


@pytest.mark.parametrize(
    "how", ["in-reply-to", "references", "plus-address", "subject-tag"]
)
def test_a_reply_threads_onto_its_ticket(intake, database, how):
    ticket_id = intake(compose()).ticket_id
    extra, to, subject = "", SUPPORT, "Re: Printer on fire"
    if how == "in-reply-to":
        extra = "In-Reply-To: <a1@mua.example>"
    elif how == "references":
        extra = "References: <other@mua.example> <a1@mua.example>"
    elif how == "plus-address":
        to = f"support+{ticket_id}@help.example"
    else:
        subject = f"Re: [#{ticket_id}] Printer on fire"

    result = intake(
        compose(
            message_id="a2@mua.example",
            subject=subject,
            to=to,
            extra=extra,
            body="It is out now.",
        )
    )

    assert result.ticket_id == ticket_id
    assert [m.body_text for m in _messages(database, ticket_id)][-1] == "It is out now."
    assert _count(database, Ticket.id) == 1


def test_a_stranger_using_a_ticket_tag_opens_a_new_ticket(intake, database):
    ticket_id = intake(compose()).ticket_id

    result = intake(
        compose(
            sender="eve@elsewhere.example",
            message_id="e1@x.example",
            subject=f"Re: [#{ticket_id}] Printer on fire",
        )
    )

    assert result.ticket_id != ticket_id
    assert len(_messages(database, ticket_id)) == 1


def test_a_participant_may_reply(intake, database):
    ticket_id = intake(compose(extra="Cc: kim@partner.example")).ticket_id

    result = intake(
        compose(
            sender="kim@partner.example",
            message_id="k1@x.example",
            subject=f"Re: [#{ticket_id}] Printer on fire",
        )
    )

    assert result.ticket_id == ticket_id


def _set_status(database, ticket_id, *statuses) -> None:
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        for status in statuses:
            ticket_service.change_status(
                session,
                ticket,
                status,
                actor=Actor.system(),
                now=NOW + timedelta(minutes=5),
            )


def test_a_reply_reopens_a_solved_ticket(intake, database):
    ticket_id = intake(compose()).ticket_id
    _set_status(database, ticket_id, "solved")

    intake(
        compose(message_id="a2@mua.example", extra="In-Reply-To: <a1@mua.example>"),
        now=NOW + timedelta(hours=1),
    )

    assert _ticket(database, ticket_id).status == "open"


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(intake, database):
    ticket_id = intake(compose()).ticket_id
    _set_status(database, ticket_id, "solved", "closed")

    result = intake(
        compose(
            message_id="a2@mua.example",
            extra="In-Reply-To: <a1@mua.example>",
            body="It is burning again.",
        ),
        now=NOW + timedelta(days=9),
    )

    follow_up = _ticket(database, result.ticket_id)
    assert follow_up.id != ticket_id
    assert follow_up.follow_up_of_id == ticket_id
    assert _ticket(database, ticket_id).status == "closed"


@pytest.mark.parametrize(
    "signal",
    [
        "Auto-Submitted: auto-replied",
        "X-Autoreply: yes",
        "Precedence: bulk",
        "List-Id: <announce.lists.example>",
        "X-Auto-Response-Suppress: All",
    ],
)
def test_automatic_mail_never_adds_to_a_ticket_nor_sends_anything(
    intake, database, signal
):
    ticket_id = intake(compose()).ticket_id
    confirmation_only = _count(database, OutboxMessage.id)

    result = intake(
        compose(
            message_id="auto@mua.example",
            extra=signal,
            subject=f"Out of office: [#{ticket_id}] Printer on fire",
        )
    )

    assert result.status == "set_aside"
    assert result.reason.startswith("automatic:")
    assert result.ticket_id == ticket_id
    assert len(_messages(database, ticket_id)) == 1
    assert confirmation_only == 1
    assert _count(database, OutboxMessage.id) == 1


def test_mail_from_our_own_address_is_set_aside(intake, database):
    result = intake(compose(sender="support+3@help.example"))

    assert result.status == "set_aside"
    assert "own address" in result.reason
    assert _count(database, Ticket.id) == 0


def test_a_bounce_is_recorded_against_the_email_that_bounced(
    intake, database, mail_settings
):
    ticket_id = intake(compose()).ticket_id
    with database.session() as session:
        row = enqueue_email(
            session,
            dedupe_key="ack:1",
            ticket=session.get(Ticket, ticket_id),
            recipient="pat@customer.example",
            subject="We got it",
            body="Thanks",
            now=NOW,
        )
        session.flush()
        from slaengine.mail.outbound import message_id_for

        sent_id = message_id_for(row, mail_settings.mail_domain)
        row.status, row.headers = "sent", {"Message-ID": sent_id}
        outbox_id = row.id
    dsn = (
        "From: MAILER-DAEMON@mx.customer.example\r\nTo: support@help.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.example>\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;"
        ' boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; pat@customer.example\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {sent_id}\r\n"
        "Subject: We got it\r\n--b--\r\n"
    ).encode()

    result = intake(dsn)

    assert result.status == "processed"
    assert f"outbox email {outbox_id}" in result.reason
    with database.session() as session:
        assert session.get(OutboxMessage, outbox_id).last_error.startswith("bounced")
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
        )
        assert "email_bounced" in list(kinds)
    assert len(_messages(database, ticket_id)) == 1


def test_a_runaway_sender_is_rate_limited(intake, database, mail_settings):
    results = [
        intake(
            compose(message_id=f"r{n}@mua.example", subject=f"Loop {n}"),
            now=NOW + timedelta(minutes=n),
        )
        for n in range(7)
    ]

    assert [r.status for r in results] == ["processed"] * 5 + ["set_aside"] * 2
    assert "rate limit" in results[-1].reason
    later = intake(compose(message_id="r9@mua.example"), now=NOW + timedelta(hours=2))
    assert later.status == "processed"


@pytest.mark.parametrize("raw", [b"\x00\x01\x02", b"   \r\n\r\n", b"no headers at all"])
def test_unusable_bytes_are_kept_and_set_aside(intake, database, raw):
    result = intake(raw)

    assert result.status == "set_aside"
    with database.session() as session:
        assert session.get(InboundMessage, result.inbound_id).raw == raw


def test_a_crash_after_storing_is_picked_up_by_the_intake_job(database, mail_settings):
    inbound_id, _ = store_raw(
        database, compose(), source="imap", message_id="a1@mua.example", now=NOW
    )

    assert process_waiting(database, settings=mail_settings, now=NOW) == 0  # too fresh
    assert (
        process_waiting(
            database, settings=mail_settings, now=NOW + timedelta(minutes=2)
        )
        == 1
    )
    again = process_inbound(database, inbound_id, settings=mail_settings, now=NOW)

    assert again.status == "processed"
    assert _count(database, Ticket.id) == 1


def test_a_failure_while_processing_keeps_the_message_for_a_retry(
    intake, database, mail_settings
):
    mail_settings.instance_path.mkdir(parents=True, exist_ok=True)
    blocker = mail_settings.instance_path / "attachments"
    blocker.write_text("not a folder")
    raw = compose(extra="MIME-Version: 1.0").replace(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n",
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee the log.\r\n--b\r\n"
        b'Content-Type: text/plain; name="app.log"\r\n'
        b'Content-Disposition: attachment; filename="app.log"\r\n\r\n'
        b"ERROR 42\r\n--b--\r\n",
    )

    failed = intake(raw)

    assert failed.status == "failed"
    assert "failed:" in failed.reason
    assert _count(database, Ticket.id) == 0
    blocker.unlink()
    fixed = retry(database, failed.inbound_id, settings=mail_settings, now=NOW)
    assert fixed.status == "processed"
    assert (blocker / fixed_sha_folder(database, fixed.ticket_id)).exists()


def fixed_sha_folder(database, ticket_id) -> str:
    from slaengine.models import Attachment

    with database.session() as session:
        sha = session.scalar(
            select(Attachment.sha256)
            .join(Message)
            .where(Message.ticket_id == ticket_id)
        )
    return f"{sha[:2]}/{sha}"
