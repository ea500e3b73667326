"""Writing notifications to the outbox, in the transaction that causes them.

Delivery is a separate scheduler job (:mod:`slaengine.delivery`). Each row has
a ``dedupe_key`` naming its cause and recipient; the unique key on it means a
cause can never produce the same notification twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.models import OutboxMessage, Ticket, User


def enqueue_email(
    session: Session,
    *,
    dedupe_key: str,
    ticket: Ticket | None,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    headers: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """Queue one email; returns None if this cause already queued it."""
    if session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        kind="email",
        ticket_id=ticket.id if ticket else None,
        recipient=recipient,
        subject=subject,
        body=body,
        headers=headers or {},
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def staff_emails(
    session: Session, *, center: str | None, roles: Iterable[str]
) -> list[str]:
    """Active staff of ``center`` (any center if None) with one of ``roles``."""
    query = select(User.email).where(User.active.is_(True), User.role.in_(tuple(roles)))
    if center is not None:
        query = query.where(User.center == center)
    return list(session.scalars(query.order_by(User.id)))
