"""Delivering the outbox: email over SMTP and webhooks over HTTP, with retries.

With no ``SMTP_HOST`` set, emails are written as ``.eml`` files under the
instance folder's ``mail/`` directory instead, so a demo shows what would
have been sent. A message is marked sent in the same transaction that
claimed it; a failure schedules the next attempt with exponential backoff
and gives up (status ``dead``) after :data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.config import Settings
from slaengine.mail import outbound
from slaengine.models import OutboxMessage
from slaengine.webhooks import DeliveryFailed, deliver_webhook

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)


def build_email(
    session: Session, row: OutboxMessage, settings: Settings, now: datetime
) -> EmailMessage:
    """The MIME message for an outbox email (see :mod:`slaengine.mail.outbound`)."""
    return outbound.build_email(session, row, settings, now)


def _send(message: EmailMessage, settings: Settings) -> None:
    if settings.smtp_host is None:
        folder = settings.instance_path / "mail"
        folder.mkdir(exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("/", "_")
        Path(folder / f"{name}.eml").write_bytes(bytes(message))
        return
    outbound.send_smtp(message, settings)


def _claim_next(session, now: datetime) -> OutboxMessage | None:
    """The oldest due message, locked for this worker on PostgreSQL."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def deliver_due(
    database, settings: Settings, *, now: datetime, limit: int = 100
) -> int:
    """Send up to ``limit`` due messages, one transaction each.

    Each message is marked sent (or rescheduled) and committed right after
    its own attempt, so a crash can repeat at most the one message that was
    in flight; it then goes out again with the same Message-ID.

    :returns: how many were sent.
    """
    sent = 0
    for _ in range(limit):
        with database.session() as session:
            row = _claim_next(session, now)
            if row is None:
                break
            try:
                if row.kind == "webhook":
                    deliver_webhook(session, row, now=now)
                else:
                    _send(build_email(session, row, settings, now), settings)
            except (OSError, smtplib.SMTPException, DeliveryFailed) as exc:
                _schedule_retry(row, exc, now)
                continue
            row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
            sent += 1
            logger.info(
                "event=outbox.sent ticket=#%s to=%s subject=%r",
                row.ticket_id,
                row.recipient,
                row.subject,
            )
    return sent


def _schedule_retry(row: OutboxMessage, exc: Exception, now: datetime) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "dead"
        logger.error(
            "event=outbox.dead ticket=#%s to=%s error=%s",
            row.ticket_id,
            row.recipient,
            row.last_error,
        )
        return
    row.next_attempt_at = now + FIRST_RETRY * 2 ** (row.attempts - 1)
    logger.warning(
        "event=outbox.retry ticket=#%s to=%s attempt=%d error=%s",
        row.ticket_id,
        row.recipient,
        row.attempts,
        row.last_error,
    )
