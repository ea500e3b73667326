"""The ticket service: every change to a ticket goes through here.

Each function takes the session, the ticket, the :class:`Actor` making the
change and ``now``; it checks the change, applies it, appends an event and
re-evaluates the SLA timers, all in the caller's transaction. Passing
``expected_version`` (the version the caller's copy was read at) makes a
stale edit fail with :class:`StaleVersion` instead of overwriting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from slaengine import sla
from slaengine.clock import utcnow
from slaengine.errors import InvalidInput, InvalidTransition, NotFound, StaleVersion
from slaengine.events import Actor, record_event
from slaengine.models import (
    CHANNELS,
    PRIORITIES,
    Customer,
    Message,
    Organization,
    Ticket,
    User,
)
from slaengine.people import check_language, get_or_create_customer
from slaengine.routing import route_ticket
from slaengine.routing.assignment import assign_automatically
from slaengine.webhooks import enqueue_webhooks

logger = logging.getLogger(__name__)

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "on_hold", "solved"}),
    "open": frozenset({"pending", "on_hold", "solved"}),
    "pending": frozenset({"open", "on_hold", "solved"}),
    "on_hold": frozenset({"open", "pending", "solved"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
MAX_SUBJECT = 500
MAX_BODY = 100_000


def check_priority(priority: str) -> str:
    if priority not in PRIORITIES:
        raise InvalidInput(
            f"priority: unknown priority {priority!r} (one of {', '.join(PRIORITIES)})",
            field="priority",
        )
    return priority


def _clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags trimmed, in lower case, each once, sorted."""
    return sorted({tag.strip().lower() for tag in tags if tag.strip()})


def check_transition(from_status: str, to_status: str) -> None:
    """Raise :class:`InvalidTransition` unless the status machine allows it."""
    if to_status not in TRANSITIONS:
        raise InvalidInput(
            f"status: unknown status {to_status!r} (one of {', '.join(TRANSITIONS)})",
            field="status",
        )
    if to_status not in TRANSITIONS[from_status]:
        raise InvalidTransition(from_status, to_status)


def get_ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update()
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFound(f"ticket #{ticket_id} does not exist")
    return ticket


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ticket.version:
        raise StaleVersion(ticket.id, expected_version, ticket.version)


def _touch(
    session: Session, ticket: Ticket, now: datetime, *, is_new: bool = False
) -> None:
    """Stamp the change, re-evaluate the SLA and write, guarding the version."""
    ticket.updated_at = now
    if not is_new:
        ticket.version += 1
    try:
        sla.refresh(session, ticket, now=now)
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleVersion(ticket.id, ticket.version, ticket.version + 1) from None


def save_change(session: Session, ticket: Ticket, now: datetime) -> None:
    """Stamp a change another service made to ``ticket`` (routing, escalation).

    Moves the version, re-evaluates the SLA and writes, like every change here.
    """
    _touch(session, ticket, now)


def _check_text(value: str, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field}: must not be empty", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field}: longer than {limit} characters", field=field)
    return text


def create_ticket(
    session: Session,
    *,
    subject: str,
    description: str,
    priority: str,
    requester_email: str,
    requester_name: str = "",
    organization: Organization | None = None,
    language: str | None = None,
    channel: str = "web",
    tags: Iterable[str] = (),
    product_area: str | None = None,
    actor: Actor | None = None,
    follow_up_of: Ticket | None = None,
    email_message_id: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket for a customer, route it and start its SLA timers.

    The description becomes the first (public) message. The requester is
    created on first contact.

    :raises InvalidInput: for an empty subject or description, an unknown
        priority, channel or language, or a malformed requester address.
    """
    now = now or utcnow()
    subject = _check_text(subject, "subject", MAX_SUBJECT)
    description = _check_text(description, "description", MAX_BODY)
    check_priority(priority)
    if channel not in CHANNELS:
        raise InvalidInput(f"channel: unknown channel {channel!r}", field="channel")
    check_language(language)
    customer = get_or_create_customer(
        session, email=requester_email, name=requester_name, organization=organization
    )
    organization = organization or customer.organization
    language = (
        language
        or customer.language
        or (organization and organization.language)
        or "en"
    )
    route = route_ticket(
        priority, organization.region if organization else None, language, now
    )

    ticket = Ticket(
        subject=subject,
        status="new",
        priority=priority,
        channel=channel,
        language=language,
        requester=customer,
        organization=organization,
        center=route.center,
        tier=route.tier,
        tags=_clean_tags(tags),
        product_area=product_area,
        follow_up_of_id=follow_up_of.id if follow_up_of else None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(ticket)
    session.flush()
    actor = actor or Actor.for_customer(customer)
    session.add(
        Message(
            ticket_id=ticket.id,
            public=True,
            author_type="customer",
            author_customer_id=customer.id,
            body_text=description,
            channel=channel,
            email_message_id=email_message_id,
            created_at=now,
        )
    )
    record_event(
        session,
        ticket,
        actor,
        "created",
        at=now,
        after={
            "status": "new",
            "priority": priority,
            "center": route.center,
            "tier": 1,
        },
        data={
            "route": route.reason,
            "channel": channel,
            "follow_up_of": follow_up_of.id if follow_up_of else None,
        },
    )
    assign_automatically(session, ticket, now=now)
    _touch(session, ticket, now, is_new=True)
    enqueue_webhooks(session, ticket, "ticket.created", {"channel": channel}, now)
    logger.info(
        "event=ticket.created ticket=%s priority=%s center=%s channel=%s",
        ticket.reference,
        priority,
        route.center,
        channel,
    )
    return ticket


def add_message(
    session: Session,
    ticket: Ticket,
    *,
    body: str,
    public: bool,
    actor: Actor,
    channel: str = "web",
    body_html: str | None = None,
    email_message_id: str | None = None,
    set_status: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Message:
    """Add a public reply or an internal note, with its status effects.

    - An agent's public reply opens a ``new`` ticket; ``set_status`` then
      applies (a reply that also sets ``pending`` counts as the response
      first, then pauses).
    - A customer's message reopens a ``pending`` or ``solved`` ticket.
    - Customers cannot write internal notes.

    :raises InvalidTransition: on a closed ticket (a reply then opens a
        follow-up: see :func:`open_follow_up`).
    """
    now = now or utcnow()
    _check_version(ticket, expected_version)
    body = _check_text(body, "body", MAX_BODY)
    if not public and not actor.is_staff:
        raise InvalidInput(
            "public: only staff can write internal notes", field="public"
        )
    if ticket.status == "closed":
        raise InvalidTransition("closed", "open")
    if set_status is not None:
        check_transition(
            "open" if ticket.status == "new" else ticket.status, set_status
        )
    message = Message(
        ticket_id=ticket.id,
        public=public,
        author_type="agent" if actor.is_staff else actor.kind,
        author_user_id=actor.id if actor.is_staff else None,
        author_customer_id=actor.id if actor.kind == "customer" else None,
        body_text=body,
        body_html=body_html,
        channel=channel,
        email_message_id=email_message_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    record_event(
        session,
        ticket,
        actor,
        "reply" if public else "note",
        at=now,
        data={"message_id": message.id, "author_type": message.author_type},
    )
    if actor.is_staff and public and ticket.status == "new":
        _set_status(session, ticket, "open", actor, now)
    if actor.kind == "customer" and ticket.status in ("pending", "solved"):
        _set_status(session, ticket, "open", actor, now)
    if set_status is not None and set_status != ticket.status:
        _set_status(session, ticket, set_status, actor, now)
    _touch(session, ticket, now)
    return message


def _set_status(
    session: Session, ticket: Ticket, status: str, actor: Actor, now: datetime
) -> None:
    check_transition(ticket.status, status)
    before = ticket.status
    ticket.status = status
    if status == "solved":
        ticket.solved_at = now
    elif status == "closed":
        ticket.closed_at = now
    elif before == "solved":
        ticket.solved_at = None
    record_event(
        session,
        ticket,
        actor,
        "status",
        at=now,
        field="status",
        before=before,
        after=status,
    )
    enqueue_webhooks(
        session, ticket, "ticket.status_changed", {"from": before, "to": status}, now
    )
    logger.info(
        "event=ticket.status ticket=%s from=%s to=%s", ticket.reference, before, status
    )


def change_status(
    session: Session,
    ticket: Ticket,
    status: str,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Move the ticket through the status machine (a no-op if unchanged)."""
    now = now or utcnow()
    _check_version(ticket, expected_version)
    if status == ticket.status:
        return ticket
    _set_status(session, ticket, status, actor, now)
    _touch(session, ticket, now)
    return ticket


def change_priority(
    session: Session,
    ticket: Ticket,
    priority: str,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Change the priority; the SLA targets are recomputed from the start."""
    now = now or utcnow()
    _check_version(ticket, expected_version)
    check_priority(priority)
    if priority == ticket.priority:
        return ticket
    before, ticket.priority = ticket.priority, priority
    record_event(
        session,
        ticket,
        actor,
        "priority",
        at=now,
        field="priority",
        before=before,
        after=priority,
    )
    _touch(session, ticket, now)
    logger.info(
        "event=ticket.priority ticket=%s from=%s to=%s",
        ticket.reference,
        before,
        priority,
    )
    return ticket


def assign(
    session: Session,
    ticket: Ticket,
    assignee: User | None,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Give the ticket to a staff member, or take it back to the queue."""
    now = now or utcnow()
    _check_version(ticket, expected_version)
    if assignee is not None and not assignee.active:
        raise InvalidInput(
            f"assignee: {assignee.email} is not an active user", field="assignee"
        )
    new_id = assignee.id if assignee else None
    if new_id == ticket.assignee_id:
        return ticket
    before = ticket.assignee_id
    ticket.assignee = assignee
    record_event(
        session,
        ticket,
        actor,
        "assignee",
        at=now,
        field="assignee",
        before=before,
        after=new_id,
        data={
            "assignee_tier": assignee.tier if assignee else None,
            "assignee_role": assignee.role if assignee else None,
            "assignee_name": assignee.name if assignee else None,
        },
    )
    _touch(session, ticket, now)
    return ticket


def change_tier(
    session: Session,
    ticket: Ticket,
    tier: int,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Move the ticket to another tier; moving up starts a tier response timer."""
    now = now or utcnow()
    _check_version(ticket, expected_version)
    if tier not in (1, 2, 3):
        raise InvalidInput(f"tier: must be 1, 2 or 3, got {tier!r}", field="tier")
    if tier == ticket.tier:
        return ticket
    before, ticket.tier = ticket.tier, tier
    kind = "escalated" if tier > before else "tier"
    record_event(
        session,
        ticket,
        actor,
        kind,
        at=now,
        field="tier",
        before=before,
        after=tier,
        data={"reason": reason},
    )
    _touch(session, ticket, now)
    logger.info(
        "event=ticket.tier ticket=%s from=%s to=%s reason=%r",
        ticket.reference,
        before,
        tier,
        reason,
    )
    return ticket


def mark_workaround(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record that the customer has a workaround: meets the workaround timer."""
    now = now or utcnow()
    _check_version(ticket, expected_version)
    if not actor.is_staff:
        raise InvalidInput(
            "only staff can mark a workaround provided", field="workaround"
        )
    record_event(session, ticket, actor, "workaround", at=now, data={"note": note})
    _touch(session, ticket, now)
    return ticket


def set_tags(
    session: Session,
    ticket: Ticket,
    tags: Sequence[str],
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    now = now or utcnow()
    _check_version(ticket, expected_version)
    clean = _clean_tags(tags)
    if clean == list(ticket.tags):
        return ticket
    before, ticket.tags = list(ticket.tags), clean
    record_event(
        session, ticket, actor, "tags", at=now, field="tags", before=before, after=clean
    )
    _touch(session, ticket, now)
    return ticket


def open_follow_up(
    session: Session,
    closed: Ticket,
    *,
    body: str,
    customer: Customer,
    channel: str = "email",
    email_message_id: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A customer wrote on a closed ticket: open a new one linked to it."""
    now = now or utcnow()
    subject = (
        closed.subject
        if closed.subject.lower().startswith("follow-up")
        else f"Follow-up: {closed.subject}"
    )
    return create_ticket(
        session,
        subject=subject[:MAX_SUBJECT],
        description=body,
        priority=closed.priority,
        requester_email=customer.email,
        requester_name=customer.name,
        organization=closed.organization,
        language=closed.language,
        channel=channel,
        follow_up_of=closed,
        email_message_id=email_message_id,
        now=now,
    )
