"""Outbound email: identity, threading headers, MIME and the SMTP connection.

Every email the outbox sends gets a ``Message-ID`` derived from its outbox
row (``<ticket-42.outbox-17.3f9a0c1d2e4b@support.example>``). The same row
always yields the same id, so a retried send is recognisably the same message,
and an answer or a bounce that quotes the id leads back to the row, and from
there to the ticket, without a lookup table.

Keys of :attr:`OutboxMessage.headers` that start with ``_`` are instructions
for delivery, never sent:

``_human``
    true for mail a person wrote (an agent's reply): no ``Auto-Submitted``.
``_attachments``
    ids of :class:`~slaengine.models.Attachment` rows to attach.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.attachments import path_for
from slaengine.config import Settings
from slaengine.models import (
    Attachment,
    Message,
    OutboxMessage,
    Ticket,
    TicketParticipant,
)

logger = logging.getLogger(__name__)

_OUTBOX_ID = re.compile(r"ticket-(\d+)\.outbox-(\d+)\.([0-9a-f]{12})@", re.IGNORECASE)
_TICKET_TAG = re.compile(r"\[#(\d+)\]")
MAX_REFERENCES = 20


def _digest(row_id: int, dedupe_key: str) -> str:
    return hashlib.sha256(f"{row_id}:{dedupe_key}".encode()).hexdigest()[:12]


def message_id_for(row: OutboxMessage, domain: str) -> str:
    """The ``Message-ID`` of an outbox email, with angle brackets."""
    digest = _digest(row.id, row.dedupe_key)
    return f"<ticket-{row.ticket_id or 0}.outbox-{row.id}.{digest}@{domain}>"


def find_outbox_rows(session: Session, text: str) -> list[OutboxMessage]:
    """The outbox emails whose ``Message-ID`` appears in ``text``.

    A match counts only when its check digits fit the row, so an id that
    merely looks like ours (or was guessed) finds nothing.
    """
    rows = []
    for _ticket, row_id, digest in _OUTBOX_ID.findall(text):
        row = session.get(OutboxMessage, int(row_id))
        if (
            row is not None
            and row.kind == "email"
            and _digest(row.id, row.dedupe_key) == digest.lower()
        ):
            rows.append(row)
    return rows


def ticket_subject(subject: str, ticket_id: int | None) -> str:
    """``subject`` with the ticket tag ``[#id]`` in front, once."""
    if ticket_id is None or f"[#{ticket_id}]" in subject:
        return subject
    return f"[#{ticket_id}] {subject}"


def subject_ticket_ids(subject: str | None) -> list[int]:
    """The ticket numbers tagged in a subject, in order."""
    return [int(number) for number in _TICKET_TAG.findall(subject or "")]


def thread_headers(session: Session, ticket: Ticket) -> dict[str, str]:
    """``In-Reply-To`` and ``References`` that keep the customer's thread.

    The reply answers the customer's latest email on the ticket; the
    references list the ticket's emails in order (the first one, which
    starts the thread, is always kept when the list is shortened).
    """
    ids = [
        f"<{value}>"
        for value in session.scalars(
            select(Message.email_message_id)
            .where(
                Message.ticket_id == ticket.id,
                Message.author_type == "customer",
                Message.email_message_id.is_not(None),
            )
            .order_by(Message.id)
        )
    ]
    sent = session.scalars(
        select(OutboxMessage.headers)
        .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.status == "sent")
        .order_by(OutboxMessage.id)
    )
    ids += [headers["Message-ID"] for headers in sent if headers.get("Message-ID")]
    if not ids:
        return {}
    references = list(dict.fromkeys(ids))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    latest_customer = [value for value in ids if not _OUTBOX_ID.search(value)]
    return {
        "In-Reply-To": (latest_customer or ids)[-1],
        "References": " ".join(references),
    }


def participant_emails(session: Session, ticket: Ticket) -> list[str]:
    """The ticket's participants (email Cc), requester excluded."""
    return [
        email
        for email in session.scalars(
            select(TicketParticipant.email)
            .where(TicketParticipant.ticket_id == ticket.id)
            .order_by(TicketParticipant.id)
        )
        if email != ticket.requester.email
    ]


def build_email(
    session: Session, row: OutboxMessage, settings: Settings, now: datetime
) -> EmailMessage:
    """The MIME message for an outbox email: text and HTML, attachments.

    Stores the ``Message-ID`` in the row's headers so answers thread.
    """
    message_id = row.headers.get("Message-ID") or message_id_for(
        row, settings.mail_domain
    )
    if row.headers.get("Message-ID") != message_id:
        row.headers = {**row.headers, "Message-ID": message_id}
    message = EmailMessage()
    message["From"] = row.headers.get("From") or settings.mail_from
    message["To"] = row.recipient
    message["Subject"] = ticket_subject(row.subject, row.ticket_id)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    if not row.headers.get("_human") and "Auto-Submitted" not in row.headers:
        message["Auto-Submitted"] = "auto-generated"
    for name, value in row.headers.items():
        if name.startswith("_") or name in ("Message-ID", "From"):
            continue
        message[name] = value
    message.set_content(row.body)
    message.add_alternative(render_html(row.body), subtype="html")
    _attach_files(session, message, row.headers.get("_attachments") or (), settings)
    return message


def render_html(text: str) -> str:
    """The HTML part: the plain text, escaped, as paragraphs."""
    paragraphs = [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    body = "\n".join(
        "<p>" + html.escape(part).replace("\n", "<br>\n") + "</p>"
        for part in paragraphs
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif">\n{body}\n</body></html>\n'
    )


def _attach_files(
    session: Session, message: EmailMessage, ids: Iterable[int], settings: Settings
) -> None:
    folder = settings.instance_path / "attachments"
    for attachment in session.scalars(
        select(Attachment).where(Attachment.id.in_(list(ids)))
    ):
        maintype, _, subtype = attachment.content_type.partition("/")
        data = Path(path_for(folder, attachment.sha256)).read_bytes()
        message.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )


def envelope_recipients(message: EmailMessage) -> list[str]:
    """Everyone in To and Cc, bare addresses."""
    fields = message.get_all("To", []) + message.get_all("Cc", [])
    return [
        address for _name, address in getaddresses([str(v) for v in fields]) if address
    ]


def send_smtp(message: EmailMessage, settings: Settings) -> None:
    """Hand one message to the SMTP server in the settings.

    :raises OSError, smtplib.SMTPException: when the server cannot be reached
        or refuses; the caller keeps the message for a later attempt.
    """
    context = ssl.create_default_context()
    if settings.smtp_security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=30, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message, to_addrs=envelope_recipients(message))
