"""Bulk changes from the queue: one change applied to several tickets.

Each ticket goes through the ticket service on its own savepoint, so one
ticket that cannot take the change (a closed ticket asked to reopen) is
reported and the others still change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine import tickets as ticket_service
from slaengine.errors import InvalidInput, SlaEngineError
from slaengine.events import Actor
from slaengine.models import Ticket, User

ACTIONS = ("assign", "status", "priority")
MAX_TICKETS = 200


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def _assignee(session: Session, value: str) -> User | None:
    if value == "none":
        return None
    user = session.get(User, int(value)) if value.isdigit() else None
    if user is None:
        raise InvalidInput(f"value: no staff member with id {value!r}", field="value")
    return user


def apply_bulk(
    session: Session,
    ticket_ids: Sequence[int],
    *,
    action: str,
    value: str,
    actor: Actor,
    now: datetime,
) -> BulkResult:
    """Assign, change the status of or change the priority of several tickets.

    :param value: a user id or ``"none"`` for ``assign``; a status or a
        priority for the others.
    :raises InvalidInput: for no tickets, too many, an unknown action or
        assignee. A ticket that refuses the change is listed in
        :attr:`BulkResult.failed` instead.
    """
    if not ticket_ids:
        raise InvalidInput("tickets: select at least one ticket", field="tickets")
    if len(ticket_ids) > MAX_TICKETS:
        raise InvalidInput(f"tickets: at most {MAX_TICKETS} at a time", field="tickets")
    if action not in ACTIONS:
        raise InvalidInput(f"action: unknown bulk action {action!r}", field="action")
    assignee = _assignee(session, value) if action == "assign" else None
    if action == "priority":
        ticket_service.check_priority(value)

    result = BulkResult()
    tickets = session.scalars(
        select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)
    )
    for ticket in tickets:
        try:
            with session.begin_nested():
                _apply(session, ticket, action, value, assignee, actor, now)
        except SlaEngineError as exc:
            result.failed.append((ticket.id, str(exc)))
        else:
            result.changed.append(ticket.id)
    return result


def _apply(session, ticket, action, value, assignee, actor, now) -> None:
    if action == "assign":
        ticket_service.assign(session, ticket, assignee, actor=actor, now=now)
    elif action == "status":
        ticket_service.change_status(session, ticket, value, actor=actor, now=now)
    else:
        ticket_service.change_priority(session, ticket, value, actor=actor, now=now)
