"""Several changes to one ticket as one edit, and escalation on request.

The REST API's ``PATCH`` may change status, priority, assignee, tier and
tags at once. :func:`apply_changes` checks the caller's version once, then
applies each change through the ticket service, in the caller's
transaction: if any change is refused the caller rolls back and nothing of
the edit remains.

Both tell subscribed webhooks about a move up (``escalation``); escalations
made elsewhere (the escalation rules, the agent screens) do not yet.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from slaengine import escalation, tickets
from slaengine.errors import InvalidInput, StaleVersion
from slaengine.events import Actor
from slaengine.models import Ticket, User
from slaengine.webhooks import enqueue_webhooks

logger = logging.getLogger(__name__)

UNSET = object()


def _assignee(session: Session, assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    user = session.get(User, assignee_id)
    if user is None:
        raise InvalidInput(
            f"assignee: there is no user {assignee_id}", field="assignee"
        )
    return user


def apply_changes(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    status: str | None = None,
    priority: str | None = None,
    assignee_id: int | None | object = UNSET,
    tier: int | None = None,
    tags: Sequence[str] | None = None,
    expected_version: int | None = None,
    now: datetime,
) -> Ticket:
    """Apply the given changes; leave out (None/``UNSET``) what stays.

    Order: tier, priority, assignee, tags, then status, so that a ticket
    solved in the same edit is solved with its final priority.

    :raises StaleVersion: when ``expected_version`` is not the ticket's.
    :raises InvalidInput: naming the first bad field.
    :raises InvalidTransition: for a status the status machine refuses.
    """
    if expected_version is not None and expected_version != ticket.version:
        raise StaleVersion(ticket.id, expected_version, ticket.version)
    if tier is not None:
        before = ticket.tier
        tickets.change_tier(session, ticket, tier, actor=actor, now=now)
        if tier > before:
            payload = {
                "from_tier": before,
                "to_tier": tier,
                "executives": False,
                "reason": "",
                "by": actor.name,
            }
            enqueue_webhooks(session, ticket, "escalation", payload, now)
    if priority is not None:
        tickets.change_priority(session, ticket, priority, actor=actor, now=now)
    if assignee_id is not UNSET:
        user = _assignee(session, assignee_id)  # type: ignore[arg-type]
        tickets.assign(session, ticket, user, actor=actor, now=now)
    if tags is not None:
        tickets.set_tags(session, ticket, tags, actor=actor, now=now)
    if status is not None:
        tickets.change_status(session, ticket, status, actor=actor, now=now)
    return ticket


def escalate_ticket(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    now: datetime,
) -> Ticket:
    """Escalate at someone's request, with their reason (webhooks are told).

    The step is :func:`slaengine.escalation.escalate`'s: the next tier, or
    the executives from tier 3 where the policy says so.

    :raises Conflict: when there is no step left or the ticket is done.
    :raises InvalidInput: for an empty reason.
    :raises StaleVersion: when ``expected_version`` is not the ticket's.
    """
    escalation.escalate(
        session,
        ticket,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        now=now,
    )
    return ticket
