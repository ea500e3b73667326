"""Inbound mail intake: keep every raw message, then make it a ticket or a reply.

All three ways in (the ``mailgate`` pipe, the IMAP poller and the LMTP
listener) call :func:`receive`, which works in two transactions:

1. :func:`store_raw` keeps the message exactly as received, once: a second
   delivery with the same ``Message-ID`` (or, without one, the same SHA-256)
   finds the first. When this commit succeeds the message is safe, and only
   then may a source acknowledge it.
2. :func:`process_inbound` claims the stored row and parses, classifies and
   threads it: a new ticket, a reply on the right ticket, a follow-up to a
   closed one, a bounce recorded against the outbox email that bounced, or
   set aside with a reason (unparseable, no sender, automatic, our own
   address, rate limit). A failure here rolls back the ticket work and marks
   the row ``failed`` with the error; the raw message stays.

A crash between the two leaves the row ``received``; the scheduler's
``mail-intake`` job (:func:`process_waiting`) picks it up later. Claiming is
a conditional update, so two processes never handle one message twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from slaengine import tickets as ticket_service
from slaengine.attachments import CONTENT_TYPES, StoredFile, path_for, remove_files
from slaengine.clock import utcnow
from slaengine.config import Settings
from slaengine.db import Database
from slaengine.errors import InvalidInput, SlaEngineError
from slaengine.events import Actor, record_event
from slaengine.mail.language import message_language
from slaengine.mail.outbound import find_outbox_rows, thread_headers
from slaengine.mail.parsing import (
    MessageUnparseable,
    ParsedAttachment,
    ParsedMessage,
    parse_message,
)
from slaengine.mail.threads import (
    Thread,
    base_address,
    find_thread,
    may_reply,
    recipients,
)
from slaengine.models import (
    PRIORITIES,
    Attachment,
    InboundMessage,
    Message,
    Ticket,
    TicketParticipant,
)
from slaengine.people import find_customer, get_or_create_customer, normalize_email
from slaengine.portal import PortalSettings, confirm_new_ticket, link_url_under

logger = logging.getLogger(__name__)

SOURCES = ("mailgate", "imap", "lmtp", "cli")
MAX_MESSAGE_ID = 998
MAX_PARTICIPANTS = 20
MAX_FILENAME = 255
NO_SUBJECT = "(no subject)"
NO_TEXT = "(This email has no text; see the attached files.)"
EMPTY = "(This email has no text.)"
RATE_WINDOW = timedelta(hours=1)
RETRY_AFTER = timedelta(minutes=1)
_MESSAGE_ID_HEADER = re.compile(
    rb"^message-id:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M
)
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_FINGERPRINT_HEADERS = (b"from", b"to", b"cc", b"subject", b"date")


class StorageFailed(SlaEngineError):
    """The raw message could not be stored: the sender must deliver it again."""


@dataclass(frozen=True)
class IntakeResult:
    """What became of one inbound message.

    ``status`` is the stored status: ``processed``, ``set_aside``,
    ``failed`` or, when another process holds it, ``received``.
    """

    inbound_id: int
    status: str
    reason: str | None = None
    ticket_id: int | None = None
    is_duplicate: bool = False


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str | None = None
    ticket_id: int | None = None


def receive(
    database: Database,
    raw: bytes,
    *,
    source: str,
    settings: Settings,
    now: datetime | None = None,
) -> IntakeResult:
    """Store one raw message, then turn it into a ticket, a reply or an aside.

    :raises StorageFailed: when the message could not be stored; nothing was
        written and the sender should try again later. Every other problem
        is recorded on the stored row and never raised.
    """
    now = now or utcnow()
    parsed, parse_error = _parse(raw)
    message_id = parsed.message_id if parsed else peek_message_id(raw)
    inbound_id, is_duplicate = store_raw(
        database, raw, source=source, message_id=message_id, now=now
    )
    if is_duplicate:
        return _current(database, inbound_id, is_duplicate=True)
    return process_inbound(
        database,
        inbound_id,
        settings=settings,
        now=now,
        parsed=parsed,
        parse_error=parse_error,
    )


def store_raw(
    database: Database,
    raw: bytes,
    *,
    source: str,
    message_id: str | None,
    now: datetime,
) -> tuple[int, bool]:
    """Keep ``raw`` once; returns its row id and whether it was already kept.

    :raises StorageFailed: when the database cannot be written.
    """
    if source not in SOURCES:
        raise InvalidInput(f"source: unknown mail source {source!r}", field="source")
    raw = bytes(raw)
    sha256 = hashlib.sha256(raw).hexdigest()
    if message_id is not None and (
        len(message_id) > MAX_MESSAGE_ID or "\x00" in message_id
    ):
        message_id = None
    try:
        with database.session() as session:
            existing, message_id = _find_stored(session, raw, sha256, message_id)
            if existing is not None:
                return existing, True
            row = InboundMessage(
                sha256=sha256,
                email_message_id=message_id,
                source=source,
                raw=raw,
                status="received",
                received_at=now,
            )
            session.add(row)
            session.flush()
            inbound_id = row.id
    except IntegrityError:
        return _stored_by_someone_else(database, raw, sha256, message_id)
    except (SQLAlchemyError, OSError) as exc:
        raise StorageFailed(
            f"could not store the message: {type(exc).__name__}: {exc}"
        ) from exc
    logger.info(
        "event=mail.stored inbound=%s source=%s size=%d", inbound_id, source, len(raw)
    )
    return inbound_id, False


def _stored_by_someone_else(
    database: Database, raw: bytes, sha256: str, message_id: str | None
) -> tuple[int, bool]:
    """A concurrent delivery of the same message committed first."""
    try:
        with database.session() as session:
            existing, _ = _find_stored(session, raw, sha256, message_id)
    except SQLAlchemyError as exc:
        raise StorageFailed(f"could not store the message: {exc}") from exc
    if existing is None:
        raise StorageFailed("could not store the message: unique key conflict")
    return existing, True


def _find_stored(
    session: Session, raw: bytes, sha256: str, message_id: str | None
) -> tuple[int | None, str | None]:
    """The row already holding this message, and the Message-ID to store.

    The same ``Message-ID`` with the same content (trace headers aside) is
    the same message delivered twice. A different message reusing an id
    (some clients and forgers do) is kept too, without the id in the
    unique column, so it cannot suppress a genuine message.
    """
    existing = session.scalar(
        select(InboundMessage.id).where(InboundMessage.sha256 == sha256)
    )
    if existing is not None or message_id is None:
        return existing, message_id
    same_id = session.execute(
        select(InboundMessage.id, InboundMessage.raw).where(
            InboundMessage.email_message_id == message_id
        )
    ).first()
    if same_id is None:
        return None, message_id
    if fingerprint(same_id.raw) == fingerprint(raw):
        return same_id.id, message_id
    logger.warning(
        "event=mail.message_id_reused message_id=%r first=%s", message_id, same_id.id
    )
    return None, None


def fingerprint(raw: bytes) -> bytes:
    """What two deliveries of one message share: From, To, Cc, Subject, Date
    and the body, whitespace aside (relays add trace headers, may re-wrap)."""
    parts = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)
    header_block, body = parts[0], parts[1] if len(parts) > 1 else b""
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", header_block)
    kept = sorted(
        re.sub(rb"\s+", b" ", line).strip()
        for line in unfolded.splitlines()
        if line.split(b":", 1)[0].strip().lower() in _FINGERPRINT_HEADERS
    )
    return hashlib.sha256(
        b"\n".join(kept) + b"\n\n" + re.sub(rb"\s+", b"", body)
    ).digest()


def peek_message_id(raw: bytes) -> str | None:
    """The ``Message-ID`` of a message the parser could not read, if visible."""
    header_block = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    match = _MESSAGE_ID_HEADER.search(header_block)
    if match is None:
        return None
    found = _ANGLE_ID.search(match[1].decode("ascii", "replace"))
    return found[1] if found else None


def _parse(raw: bytes) -> tuple[ParsedMessage | None, str | None]:
    try:
        return parse_message(raw), None
    except MessageUnparseable as exc:
        return None, f"unparseable: {exc.reason}"
    except Exception as exc:  # a parser bug must not cost the message
        logger.warning("event=mail.parser_error error=%s: %s", type(exc).__name__, exc)
        return None, f"unparseable: parser error {type(exc).__name__}: {exc}"


def _current(
    database: Database, inbound_id: int, *, is_duplicate: bool
) -> IntakeResult:
    with database.session() as session:
        row = session.get(InboundMessage, inbound_id)
        return IntakeResult(row.id, row.status, row.reason, row.ticket_id, is_duplicate)


def process_inbound(
    database: Database,
    inbound_id: int,
    *,
    settings: Settings,
    now: datetime,
    parsed: ParsedMessage | None = None,
    parse_error: str | None = None,
) -> IntakeResult:
    """Handle one stored message that is still ``received``.

    Never raises for a bad message or a failing step: the row ends
    ``processed``, ``set_aside`` or ``failed`` with the reason.
    """
    written: list[StoredFile] = []
    try:
        with database.session() as session:
            inbound = _claim(session, inbound_id, now)
            if inbound is None:
                return _current(database, inbound_id, is_duplicate=False)
            if parsed is None and parse_error is None:
                parsed, parse_error = _parse(inbound.raw)
            outcome = (
                Outcome("set_aside", parse_error)
                if parsed is None
                else _handle(session, inbound, parsed, settings, now, written)
            )
            inbound.status, inbound.reason = outcome.status, _clean(outcome.reason)
            inbound.ticket_id = outcome.ticket_id
    except Exception as exc:
        remove_files(settings.instance_path / "attachments", written)
        logger.exception("event=mail.failed inbound=%s", inbound_id)
        return _mark_failed(database, inbound_id, exc, now)
    logger.info(
        "event=mail.%s inbound=%s ticket=%s reason=%r",
        outcome.status,
        inbound_id,
        outcome.ticket_id,
        outcome.reason,
    )
    return IntakeResult(inbound_id, outcome.status, outcome.reason, outcome.ticket_id)


def _claim(session: Session, inbound_id: int, now: datetime) -> InboundMessage | None:
    claimed = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status == "received")
        .values(processed_at=now)
    ).rowcount
    return session.get(InboundMessage, inbound_id) if claimed else None


def _mark_failed(
    database: Database, inbound_id: int, exc: Exception, now: datetime
) -> IntakeResult:
    reason = _clean(f"failed: {type(exc).__name__}: {exc}")[:2000]
    try:
        with database.session() as session:
            session.execute(
                update(InboundMessage)
                .where(
                    InboundMessage.id == inbound_id, InboundMessage.status == "received"
                )
                .values(status="failed", reason=reason, processed_at=now)
            )
    except SQLAlchemyError:
        logger.exception("event=mail.mark_failed_failed inbound=%s", inbound_id)
        return IntakeResult(inbound_id, "received", reason)
    return IntakeResult(inbound_id, "failed", reason)


def process_waiting(
    database: Database, *, settings: Settings, now: datetime, limit: int = 100
) -> int:
    """Process messages left ``received`` by a crash; returns how many."""
    with database.session() as session:
        waiting = list(
            session.scalars(
                select(InboundMessage.id)
                .where(
                    InboundMessage.status == "received",
                    InboundMessage.received_at <= now - RETRY_AFTER,
                )
                .order_by(InboundMessage.id)
                .limit(limit)
            )
        )
    for inbound_id in waiting:
        process_inbound(database, inbound_id, settings=settings, now=now)
    return len(waiting)


def retry(
    database: Database, inbound_id: int, *, settings: Settings, now: datetime
) -> IntakeResult:
    """Process a ``failed`` or ``set_aside`` message again (an admin's fix).

    :raises InvalidInput: when the message was processed already.
    """
    with database.session() as session:
        row = session.get(InboundMessage, inbound_id)
        if row is None or row.status not in ("failed", "set_aside"):
            raise InvalidInput(
                f"inbound message {inbound_id} is not failed or set aside"
            )
        row.status, row.reason = "received", None
    return process_inbound(database, inbound_id, settings=settings, now=now)


# -- deciding what a message is -------------------------------------------


def own_addresses(settings: Settings) -> frozenset[str]:
    """The engine's own addresses: the sender of its mail and its mailboxes."""
    return frozenset({settings.mail_from.lower(), *settings.mail.mailboxes})


def _handle(
    session: Session,
    inbound: InboundMessage,
    parsed: ParsedMessage,
    settings: Settings,
    now: datetime,
    written: list[StoredFile],
) -> Outcome:
    ours = own_addresses(settings)
    sender = parsed.from_address
    if parsed.classification.is_bounce:
        return _record_bounce(session, inbound, parsed, now)
    if sender is None:
        return Outcome("set_aside", "no sender: the message has no From address")
    if base_address(sender) in ours:
        return Outcome("set_aside", f"sent from the engine's own address {sender}")
    if parsed.is_auto_generated:
        thread = find_thread(session, parsed, ours)
        return Outcome(
            "set_aside",
            f"automatic: {parsed.classification.reason}",
            thread.ticket.id if thread else None,
        )
    try:
        sender = normalize_email(sender, field="from")
    except InvalidInput as exc:
        return Outcome("set_aside", f"sender not usable: {exc}")
    if _recent_count(session, sender, now) >= settings.mail.rate_limit_per_hour:
        return Outcome(
            "set_aside",
            f"rate limit: more than {settings.mail.rate_limit_per_hour}"
            f" messages from {sender} in the last hour",
        )
    thread = find_thread(session, parsed, ours)
    if thread is not None and may_reply(session, thread.ticket, sender):
        message, ticket = _add_to_thread(session, thread, parsed, sender, now)
    else:
        ticket = _open_ticket(session, parsed, sender, settings, now)
        message = ticket.messages[0]
    _store_attachments(session, message, parsed.attachments, settings, now, written)
    _add_participants(session, ticket, parsed, ours, now)
    if thread is None or ticket.id != thread.ticket.id:
        _confirm(session, ticket, settings, now)
    record_event(
        session,
        ticket,
        Actor.for_customer(message.author_customer),
        "email",
        at=now,
        data={
            "inbound_id": inbound.id,
            "message_id": message.id,
            "is_reply": parsed.is_reply,
            "threaded_by": thread.found_by if thread else None,
            "repairs": parsed.repairs,
        },
    )
    return Outcome("processed", None, ticket.id)


def _recent_count(session: Session, sender: str, now: datetime) -> int:
    customer = find_customer(session, sender)
    if customer is None:
        return 0
    return (
        session.scalar(
            select(func.count(Message.id)).where(
                Message.author_customer_id == customer.id,
                Message.channel == "email",
                Message.created_at >= now - RATE_WINDOW,
            )
        )
        or 0
    )


def _record_bounce(
    session: Session, inbound: InboundMessage, parsed: ParsedMessage, now: datetime
) -> Outcome:
    """Note a bounce on the outbox email it returns, if it is one of ours."""
    reason = f"automatic: {parsed.classification.reason}"
    searchable = _clean(inbound.raw.decode("utf-8", "replace")) + parsed.text
    bounced = find_outbox_rows(session, searchable)
    if not bounced:
        return Outcome("set_aside", f"{reason} (bounce of no email of ours)")
    row = bounced[0]
    row.last_error = f"bounced: inbound message {inbound.id}"
    if row.ticket_id is not None:
        ticket = session.get(Ticket, row.ticket_id)
        record_event(
            session,
            ticket,
            Actor.system(),
            "email_bounced",
            at=now,
            data={
                "outbox_id": row.id,
                "recipient": row.recipient,
                "inbound_id": inbound.id,
            },
        )
    logger.warning(
        "event=mail.bounced outbox=%s ticket=#%s to=%s",
        row.id,
        row.ticket_id,
        row.recipient,
    )
    return Outcome(
        "processed",
        f"{reason}: bounce of outbox email {row.id} to {row.recipient}",
        row.ticket_id,
    )


# -- tickets and messages -------------------------------------------------


def _subject(parsed: ParsedMessage) -> str:
    subject = _clean(parsed.subject or "").strip()
    return subject[: ticket_service.MAX_SUBJECT].strip() or NO_SUBJECT


def _body(parsed: ParsedMessage) -> str:
    text = _clean(parsed.text).strip()
    if not text:
        return NO_TEXT if parsed.listed_attachments else EMPTY
    return text[: ticket_service.MAX_BODY]


def _priority(parsed: ParsedMessage, settings: Settings) -> str:
    """The most urgent priority among the support mailboxes addressed."""
    found = {
        settings.mail.mailboxes.get(base_address(address))
        for address in recipients(parsed)
    }
    for priority in PRIORITIES:
        if priority in found:
            return priority
    return settings.mail.default_priority


def _open_ticket(
    session: Session,
    parsed: ParsedMessage,
    sender: str,
    settings: Settings,
    now: datetime,
) -> Ticket:
    ticket = ticket_service.create_ticket(
        session,
        subject=_subject(parsed),
        description=_body(parsed),
        priority=_priority(parsed, settings),
        requester_email=sender,
        requester_name=_clean(parsed.from_name or "")[:200],
        language=message_language(parsed.headers, parsed.text),
        channel="email",
        email_message_id=_message_id(parsed),
        now=now,
    )
    ticket.messages[0].body_html = _clean(parsed.html) if parsed.html else None
    return ticket


def _add_to_thread(
    session: Session, thread: Thread, parsed: ParsedMessage, sender: str, now: datetime
) -> tuple[Message, Ticket]:
    customer = get_or_create_customer(
        session, email=sender, name=_clean(parsed.from_name or "")
    )
    if thread.ticket.status == "closed":
        follow_up = ticket_service.open_follow_up(
            session,
            thread.ticket,
            body=_body(parsed),
            customer=customer,
            email_message_id=_message_id(parsed),
            now=now,
        )
        follow_up.messages[0].body_html = _clean(parsed.html) if parsed.html else None
        return follow_up.messages[0], follow_up
    message = ticket_service.add_message(
        session,
        thread.ticket,
        body=_body(parsed),
        public=True,
        actor=Actor.for_customer(customer),
        channel="email",
        body_html=_clean(parsed.html) if parsed.html else None,
        email_message_id=_message_id(parsed),
        now=now,
    )
    return message, thread.ticket


def _confirm(
    session: Session, ticket: Ticket, settings: Settings, now: datetime
) -> None:
    """Answer a new ticket's first email with its reference and private link,
    threaded onto that email. Automatic mail never gets here."""
    confirm_new_ticket(
        session,
        ticket,
        settings=PortalSettings(
            secret_key=settings.secret_key,
            attachment_folder=settings.instance_path / "attachments",
        ),
        link_url=link_url_under(settings.public_url),
        now=now,
        headers=thread_headers(session, ticket),
    )


def _message_id(parsed: ParsedMessage) -> str | None:
    value = parsed.message_id
    if value is None or len(value) > MAX_MESSAGE_ID:
        return None
    return _clean(value)


def _add_participants(
    session: Session,
    ticket: Ticket,
    parsed: ParsedMessage,
    ours: frozenset[str],
    now: datetime,
) -> None:
    """Everyone else the customer wrote to (To and Cc) joins the ticket."""
    known = set(
        session.scalars(
            select(TicketParticipant.email).where(
                TicketParticipant.ticket_id == ticket.id
            )
        )
    )
    known.add(ticket.requester.email)
    for address in parsed.to_addresses + parsed.cc_addresses:
        if len(known) > MAX_PARTICIPANTS or base_address(address) in ours:
            continue
        try:
            email = normalize_email(address, field="cc")
        except InvalidInput:
            continue
        if email not in known:
            known.add(email)
            session.add(
                TicketParticipant(ticket_id=ticket.id, email=email, created_at=now)
            )
    session.flush()


# -- attachments ----------------------------------------------------------


def _store_attachments(
    session: Session,
    message: Message,
    parts: list[ParsedAttachment],
    settings: Settings,
    now: datetime,
    written: list[StoredFile],
) -> None:
    """Keep named attachments and inline images on disk, by SHA-256.

    Unnamed parts that are not inline images (a forwarded message without a
    name, for one) stay in the raw message only.
    """
    folder = settings.instance_path / "attachments"
    for number, part in enumerate(parts, start=1):
        if not part.filename and not part.is_inline:
            continue
        name = attachment_name(part.filename, part.content_type, number)
        stored = _write_file(folder, part.payload, name)
        written.append(stored)
        session.add(
            Attachment(
                message_id=message.id,
                filename=name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                inline=part.is_inline,
                created_at=now,
            )
        )
    session.flush()


def attachment_name(filename: str | None, content_type: str, number: int) -> str:
    """The name shown for an email attachment: the sender's, minus folders and
    control characters, at most 255 characters; unnamed inline images get
    ``inline-N`` with an extension from their type.
    """
    name = re.split(r"[\\/]", _clean(filename or ""))[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )
    name = name.strip()
    if not name:
        subtype = content_type.partition("/")[2] or "bin"
        return (
            f"inline-{number}.{re.sub(r'[^a-z0-9]', '', subtype.lower())[:10] or 'bin'}"
        )
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:10] if dot else ""
        name = name[: MAX_FILENAME - len(keep) - 1] + ("." + keep if keep else "")
    return name


def _content_type(name: str) -> str:
    """Chosen by extension, never taken from the sender, so nothing stored can
    pose as a web page; unknown types are plain bytes."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def _write_file(folder: Path, payload: bytes, name: str) -> StoredFile:
    sha256 = hashlib.sha256(payload).hexdigest()
    final = path_for(folder, sha256)
    is_new = not final.exists()
    if is_new:
        final.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=final.parent, prefix=".mail-")
        try:
            with os.fdopen(handle, "wb") as target:
                target.write(payload)
            os.replace(temp_name, final)
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
    return StoredFile(name, _content_type(name), len(payload), sha256, is_new)


def _clean(text: str | None) -> str | None:
    """Text the database accepts: no NUL, no lone surrogates."""
    if text is None:
        return None
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
