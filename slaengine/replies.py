"""Public replies to the customer: the message and the email that carries it.

The email is written to the outbox in the same transaction as the reply
(DESIGN.md, Notifications), addressed to the requester, with the ticket tag
in the subject and the threading headers of :mod:`slaengine.mail.outbound`,
so the customer's answer threads back onto the ticket.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from slaengine import tickets as ticket_service
from slaengine.events import Actor
from slaengine.mail.outbound import participant_emails, thread_headers, ticket_subject
from slaengine.models import Message, Ticket
from slaengine.outbox import enqueue_email

FOOTER = (
    "\n\n--\nReply to this email to answer; keep [{reference}] in the subject "
    "so that your answer reaches ticket {reference}."
)


def reply_to_customer(
    session: Session,
    ticket: Ticket,
    *,
    body: str,
    actor: Actor,
    set_status: str | None = None,
    expected_version: int | None = None,
    now: datetime,
) -> Message:
    """Add a public reply and queue its email to the requester, copying the
    ticket's participants.

    The reply has the status effects of
    :func:`slaengine.tickets.add_message` (it opens a new ticket and meets
    the acknowledge timer; with ``set_status="pending"`` it counts as the
    response first, then pauses).

    :raises StaleVersion: when ``expected_version`` is not the ticket's.
    :raises InvalidInput: for an empty body or a status the ticket cannot take.
    """
    message = ticket_service.add_message(
        session,
        ticket,
        body=body,
        public=True,
        actor=actor,
        channel="agent",
        set_status=set_status,
        expected_version=expected_version,
        now=now,
    )
    recipient = ticket.requester.email
    headers = {**thread_headers(session, ticket), "_human": True}
    participants = participant_emails(session, ticket)
    if participants:
        headers["Cc"] = ", ".join(participants)
    enqueue_email(
        session,
        dedupe_key=f"reply:{message.id}:{recipient}",
        ticket=ticket,
        recipient=recipient,
        subject=ticket_subject(ticket.subject, ticket.id),
        body=message.body_text + FOOTER.format(reference=ticket.reference),
        # A person wrote it (``_human``): delivery leaves out Auto-Submitted.
        headers=headers,
        now=now,
    )
    return message
