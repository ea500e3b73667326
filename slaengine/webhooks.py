"""Outgoing webhooks: subscriptions, queuing through the outbox, delivery.

An administrator subscribes a URL to some of :data:`EVENT_TYPES`. When such
an event happens, :func:`enqueue_webhooks` writes one outbox row per
subscription in the transaction of the change, so a rolled-back change
sends nothing. The outbox job (:mod:`slaengine.delivery`) then POSTs each
body with :func:`deliver_webhook`, signed with HMAC-SHA256 under the
subscription's secret::

    X-Slaengine-Signature: sha256=<hex HMAC of the exact body bytes>

Any answer other than 2xx (redirects included) or a network error counts as
a failure and is retried with the outbox's backoff; every attempt is logged
in ``webhook_delivery``.

Limitations: delivery is at least once. A receiver that answers after its
timeout may see the same body again; the body's ``id`` is unique per event
and per subscription, so receivers deduplicate on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from slaengine.errors import InvalidInput, NotFound
from slaengine.models import OutboxMessage, Ticket, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

EVENT_TYPES = (
    "ticket.created",
    "ticket.status_changed",
    "sla.warning",
    "sla.breach",
    "escalation",
)
SIGNATURE_HEADER = "X-Slaengine-Signature"
EVENT_HEADER = "X-Slaengine-Event"
DELIVERY_HEADER = "X-Slaengine-Delivery"
TIMEOUT_SECONDS = 10
MAX_URL = 2000
MIN_SECRET, MAX_SECRET = 16, 200


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is :func:`sign`'s value for ``body`` (for receivers)."""
    return hmac.compare_digest(sign(secret, body), signature)


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url: {url!r} is not an http(s) URL", field="url")
    if len(url) > MAX_URL:
        raise InvalidInput(f"url: longer than {MAX_URL} characters", field="url")
    return url


def _check_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    if not chosen:
        raise InvalidInput(
            "event_types: choose at least one event type", field="event_types"
        )
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"event_types: unknown event type {unknown[0]!r} "
            f"(one of {', '.join(EVENT_TYPES)})",
            field="event_types",
        )
    return chosen


def create_webhook(
    session: Session,
    *,
    url: str,
    event_types: Iterable[str],
    secret: str | None = None,
    now: datetime,
) -> Webhook:
    """Subscribe ``url`` to ``event_types``; a secret is generated if omitted.

    :raises InvalidInput: for a URL that is not http(s), an unknown or empty
        list of event types, or a secret shorter than 16 characters.
    """
    url = _check_url(url)
    chosen = _check_event_types(event_types)
    if secret is None:
        secret = secrets.token_hex(32)
    if not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise InvalidInput(
            f"secret: must be {MIN_SECRET} to {MAX_SECRET} characters", field="secret"
        )
    webhook = Webhook(
        url=url, secret=secret, event_types=chosen, active=True, created_at=now
    )
    session.add(webhook)
    session.flush()
    logger.info(
        "event=webhook.created webhook=%s url=%s events=%s",
        webhook.id,
        url,
        ",".join(chosen),
    )
    return webhook


def list_webhooks(session: Session) -> list[Webhook]:
    """Every subscription, oldest first."""
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def delete_webhook(session: Session, webhook_id: int) -> None:
    """Delete a subscription; its queued deliveries are abandoned.

    The delivery log is kept, detached from the deleted subscription.

    :raises NotFound: when there is no such webhook.
    """
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} does not exist")
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .values(webhook_id=None)
    )
    for row in _pending_rows(session, webhook_id):
        row.status, row.last_error = "dead", "webhook deleted"
    session.delete(webhook)
    session.flush()
    logger.info("event=webhook.deleted webhook=%s", webhook_id)


def _pending_rows(session: Session, webhook_id: int) -> list[OutboxMessage]:
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "webhook", OutboxMessage.status == "pending"
        )
    )
    return [row for row in rows if row.headers.get("webhook_id") == webhook_id]


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """The ticket as a webhook body shows it: identity, state, SLA due times."""
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "center": ticket.center,
        "tier": ticket.tier,
        "assignee_id": ticket.assignee_id,
        "organization_id": ticket.organization_id,
        "updated_at": ticket.updated_at.isoformat(),
        "sla": [
            {
                "metric": timer.metric,
                "state": timer.state,
                "due_at": timer.due_at.isoformat() if timer.due_at else None,
            }
            for timer in ticket.timers
        ],
    }


def active_webhooks(session: Session) -> list[Webhook]:
    """The active subscriptions, loaded once for a batch of events."""
    with session.no_autoflush:
        return list(session.scalars(select(Webhook).where(Webhook.active.is_(True))))


def enqueue_webhooks(
    session: Session,
    ticket: Any,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    subscriptions: list[Webhook] | None = None,
) -> int:
    """Queue ``event_type`` for every active subscription to it.

    Called by the ticket service and the SLA clock in the transaction of the
    change. ``ticket`` may be a plain row with an ``id`` (the sweep's); the
    ticket is then loaded, only when someone subscribed. Nothing is flushed
    here. A caller queuing many events passes ``subscriptions`` from
    :func:`active_webhooks` to read them once. Returns how many deliveries
    were queued.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    with session.no_autoflush:
        if subscriptions is None:
            subscriptions = active_webhooks(session)
        hooks = [hook for hook in subscriptions if event_type in hook.event_types]
        if hooks and not isinstance(ticket, Ticket):
            ticket = session.get_one(Ticket, ticket.id)
    for hook in hooks:
        event_id = uuid.uuid4().hex
        body = {
            "id": event_id,
            "type": event_type,
            "occurred_at": now.isoformat(),
            "ticket": ticket_summary(ticket),
            "data": payload,
        }
        session.add(
            OutboxMessage(
                dedupe_key=f"webhook:{hook.id}:{event_id}",
                kind="webhook",
                ticket_id=ticket.id,
                recipient=hook.url,
                subject=event_type,
                body=json.dumps(body, sort_keys=True, default=str),
                headers={"webhook_id": hook.id, "event_type": event_type},
                next_attempt_at=now,
                created_at=now,
            )
        )
        logger.debug(
            "event=webhook.queued ticket=%s webhook=%s type=%s",
            ticket.reference,
            hook.id,
            event_type,
        )
    return len(hooks)


class DeliveryFailed(Exception):
    """The receiver did not take the webhook: retry later."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would re-send to another URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def deliver_webhook(session: Session, row: OutboxMessage, *, now: datetime) -> None:
    """POST one outbox webhook row and log the attempt.

    :raises DeliveryFailed: when the receiver answered other than 2xx or
        could not be reached; the caller schedules the retry.
    """
    webhook_id = row.headers.get("webhook_id")
    hook = session.get(Webhook, webhook_id) if webhook_id is not None else None
    log = WebhookDelivery(
        outbox_id=row.id,
        webhook_id=hook.id if hook else None,
        attempt=row.attempts + 1,
        at=now,
    )
    session.add(log)
    if hook is None or not hook.active:
        log.error = "webhook deleted or inactive"
        raise DeliveryFailed(log.error)
    body = row.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "slaengine-webhooks",
        EVENT_HEADER: row.headers.get("event_type", ""),
        DELIVERY_HEADER: str(row.id),
        SIGNATURE_HEADER: sign(hook.secret, body),
    }
    try:
        log.status_code = _post(row.recipient, body, headers)
    except (OSError, ValueError) as exc:
        log.error = f"{type(exc).__name__}: {exc}"
        raise DeliveryFailed(log.error) from exc
    if not 200 <= log.status_code < 300:
        log.error = f"receiver answered HTTP {log.status_code}"
        raise DeliveryFailed(log.error)
    logger.info(
        "event=webhook.delivered ticket=#%s webhook=%s status=%s",
        row.ticket_id,
        hook.id,
        log.status_code,
    )


def recent_deliveries(
    session: Session, webhook_id: int, *, limit: int = 50
) -> list[WebhookDelivery]:
    """The latest delivery attempts of one subscription, newest first.

    :raises NotFound: when there is no such webhook.
    """
    if session.get(Webhook, webhook_id) is None:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
