"""The satisfaction survey: good or bad, and why, once a ticket is solved.

One rating per ticket (the latest answer wins), kept for reporting. The
survey email carries two links that open the survey page with the answer
chosen; the answer is recorded by the page's button, not by the link itself,
because mail scanners follow links in messages and would rate for the
customer.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.errors import Conflict, InvalidInput
from slaengine.events import Actor, record_event
from slaengine.models import Customer, OutboxMessage, SatisfactionRating, Ticket
from slaengine.outbox import enqueue_email
from slaengine.portal import LinkUrl, PortalSettings, issue_link

logger = logging.getLogger(__name__)

RATINGS = ("good", "bad")
MAX_COMMENT = 5_000


def rating_for(session: Session, ticket: Ticket) -> SatisfactionRating | None:
    return session.scalar(
        select(SatisfactionRating).where(SatisfactionRating.ticket_id == ticket.id)
    )


def check_rating(rating: str, comment: str) -> tuple[str, str]:
    """:raises InvalidInput: naming ``rating`` or ``comment``."""
    if rating not in RATINGS:
        raise InvalidInput("rating: choose good or bad", field="rating")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            f"comment: keep this under {MAX_COMMENT} characters", field="comment"
        )
    return rating, comment


def rate_ticket(
    session: Session,
    ticket: Ticket,
    customer: Customer,
    *,
    rating: str,
    comment: str = "",
    now: datetime,
) -> SatisfactionRating:
    """Record the customer's verdict on a solved (or closed) ticket.

    :raises InvalidInput: for an unknown rating or an overlong comment.
    :raises Conflict: when the ticket is not solved.
    """
    rating, comment = check_rating(rating, comment)
    if ticket.status not in ("solved", "closed"):
        raise Conflict("the survey opens once the ticket is solved")
    row = rating_for(session, ticket)
    before = row.rating if row else None
    if row is None:
        row = SatisfactionRating(ticket_id=ticket.id, created_at=now)
        session.add(row)
    row.rating, row.comment, row.updated_at = rating, comment, now
    record_event(
        session,
        ticket,
        Actor.for_customer(customer),
        "satisfaction",
        at=now,
        field="satisfaction",
        before=before,
        after=rating,
        data={"comment": comment},
    )
    session.flush()
    logger.info(
        "event=satisfaction.rated ticket=%s rating=%s", ticket.reference, rating
    )
    return row


def queue_survey(
    session: Session,
    ticket: Ticket,
    *,
    settings: PortalSettings,
    survey_url: LinkUrl,
    now: datetime,
) -> bool:
    """Mail the survey for a solved ticket (once per solve); True if queued.

    ``survey_url`` turns a link token into the survey page's address; the
    email adds ``rating=good`` or ``rating=bad`` to it.
    """
    if ticket.status != "solved" or ticket.solved_at is None:
        return False
    dedupe_key = f"survey:{ticket.id}:{ticket.solved_at.isoformat()}"
    if session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return False
    customer = ticket.requester
    token = issue_link(session, ticket, customer, settings=settings, now=now)
    url = survey_url(token)
    separator = "&" if "?" in url else "?"
    enqueue_email(
        session,
        dedupe_key=dedupe_key,
        ticket=ticket,
        recipient=customer.email,
        subject=f"[{ticket.reference}] How did we do?",
        body=(
            f"Hello {customer.name},\n\nYour ticket {ticket.reference} "
            f"({ticket.subject}) is solved. How did we do?\n\n"
            f"  Good: {url}{separator}rating=good\n"
            f"  Bad:  {url}{separator}rating=bad\n\n"
            "You can add a comment on the page. If the problem is not solved, "
            "reply on the ticket page and we will pick it up again.\n"
        ),
        now=now,
        headers={"Auto-Submitted": "auto-generated"},
    )
    return True
