"""Which ticket an inbound message answers, and who may answer it.

A message names its ticket in three ways, tried in this order:

1. ``In-Reply-To``/``References`` hold a ``Message-ID`` the engine received
   on a ticket or sent about one (see :mod:`slaengine.mail.outbound`);
2. it was addressed to a support mailbox with the ticket number after a plus
   (``support+1042@example.com``);
3. its subject carries the ticket tag ``[#1042]``.

The headers come first because a client copies them faithfully while people
edit subjects. Knowing the ticket is not enough: only its requester and its
participants may add to it (:func:`may_reply`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.mail.outbound import find_outbox_rows, subject_ticket_ids
from slaengine.mail.parsing import ParsedMessage
from slaengine.models import InboundMessage, Message, Ticket, TicketParticipant


@dataclass(frozen=True)
class Thread:
    """A ticket a message refers to, and what gave it away."""

    ticket: Ticket
    found_by: str


def base_address(address: str) -> str:
    """``support+1042@x.com`` → ``support@x.com``."""
    local, _, domain = address.lower().partition("@")
    return f"{local.partition('+')[0]}@{domain}"


def plus_ticket_ids(
    recipients: Iterable[str], own_addresses: frozenset[str]
) -> list[int]:
    """Ticket numbers after a plus in addresses of our own mailboxes."""
    numbers = []
    for address in recipients:
        local, _, domain = address.lower().partition("@")
        base, plus, tag = local.partition("+")
        if plus and tag.isdigit() and f"{base}@{domain}" in own_addresses:
            numbers.append(int(tag))
    return numbers


def recipients(parsed: ParsedMessage) -> list[str]:
    """Every address the message was delivered or addressed to."""
    return list(
        dict.fromkeys(
            parsed.delivered_to
            + parsed.original_recipients
            + parsed.to_addresses
            + parsed.cc_addresses
        )
    )


def find_thread(
    session: Session, parsed: ParsedMessage, own_addresses: frozenset[str]
) -> Thread | None:
    """The ticket ``parsed`` refers to, or ``None`` for a new conversation."""
    ticket_id, found_by = _by_headers(session, parsed)
    if ticket_id is None:
        numbers = plus_ticket_ids(recipients(parsed), own_addresses)
        ticket_id, found_by = (numbers[0], "plus-address") if numbers else (None, "")
    if ticket_id is None:
        numbers = subject_ticket_ids(parsed.subject)
        ticket_id, found_by = (numbers[0], "subject-tag") if numbers else (None, "")
    if ticket_id is None:
        return None
    ticket = session.get(Ticket, ticket_id)
    return Thread(ticket, found_by) if ticket is not None else None


def _by_headers(session: Session, parsed: ParsedMessage) -> tuple[int | None, str]:
    ids = list(
        dict.fromkeys(
            ([parsed.in_reply_to] if parsed.in_reply_to else [])
            + parsed.references[::-1]
        )
    )
    if not ids:
        return None, ""
    for message_id in ids:
        ticket_id = session.scalar(
            select(Message.ticket_id)
            .where(Message.email_message_id == message_id)
            .limit(1)
        )
        if ticket_id is None:
            ticket_id = session.scalar(
                select(InboundMessage.ticket_id)
                .where(
                    InboundMessage.email_message_id == message_id,
                    InboundMessage.ticket_id.is_not(None),
                )
                .limit(1)
            )
        if ticket_id is None:
            rows = find_outbox_rows(session, f"<{message_id}>")
            ticket_id = rows[0].ticket_id if rows else None
        if ticket_id is not None:
            return ticket_id, "references"
    return None, ""


def may_reply(session: Session, ticket: Ticket, sender: str) -> bool:
    """Whether ``sender`` is the ticket's requester or a participant."""
    if ticket.requester.email == sender:
        return True
    return (
        session.scalar(
            select(TicketParticipant.id).where(
                TicketParticipant.ticket_id == ticket.id,
                TicketParticipant.email == sender,
            )
        )
        is not None
    )
