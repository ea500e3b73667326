"""Who changed a ticket, and the append-only record of what they changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from slaengine.models import Customer, Ticket, TicketEvent, User


@dataclass(frozen=True)
class Actor:
    """The author of a change: an agent, a customer or the engine itself.

    ``role`` and ``tier`` are kept for staff, because the SLA clock reads
    them from the event log (a tier-2 reply engages an expert).
    """

    kind: str
    id: int | None = None
    name: str = ""
    role: str | None = None
    tier: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls("agent", user.id, user.name, user.role, user.tier)

    @classmethod
    def for_customer(cls, customer: Customer) -> Actor:
        return cls("customer", customer.id, customer.name or customer.email)

    @classmethod
    def system(cls, name: str = "slaengine") -> Actor:
        return cls("system", None, name)

    @property
    def is_staff(self) -> bool:
        return self.kind == "agent"


def record_event(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    kind: str,
    *,
    at: datetime,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append one event to the ticket's log (flushed with the change)."""
    payload = dict(data or {})
    if actor.role:
        payload.setdefault("actor_role", actor.role)
    if actor.tier:
        payload.setdefault("actor_tier", actor.tier)
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        kind=kind,
        field=field,
        before=before,
        after=after,
        data=payload,
    )
    session.add(event)
    return event
