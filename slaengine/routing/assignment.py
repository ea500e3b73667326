"""Who works a ticket: a pluggable assignment strategy and agents' shifts.

The default strategy, :class:`LightestLoad`, gives a ticket to an agent of
its center and tier who is on shift, speaks its language and carries the
lightest weighted load of unsolved tickets; ties go round-robin. With
nobody on shift the ticket waits unassigned in its group's queue (its
center and tier).

Shifts come from the center's calendars plus each agent's overrides:

- tiers 1 and 2 work the center's peak hours, every day of the year;
- tier 3 works the center's business calendar (weekdays, national
  holidays off);
- a ``time_off`` override takes the agent off shift, an ``on_call`` one
  puts the agent on shift outside those hours (time off wins). The night
  crew that keeps a center staffed round the clock is rostered as on-call.

A center's holiday counts as off peak for medium and low work: on that
local date those tickets wait in the queue for the next working day.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slaengine.calendars import BusinessCalendar
from slaengine.errors import InvalidInput
from slaengine.events import Actor, record_event
from slaengine.models import PRIORITIES, ShiftOverride, Ticket, TicketEvent, User
from slaengine.routing.centers import (
    ROUND_THE_CLOCK_PRIORITIES,
    Center,
    default_centers,
)

logger = logging.getLogger(__name__)

UNSOLVED = ("new", "open", "pending", "on_hold")
DEFAULT_WEIGHTS = {"critical": 8.0, "high": 4.0, "medium": 2.0, "low": 1.0}
ASSIGNER = Actor.system("assignment")


class AssignmentStrategy(Protocol):
    """Chooses the agent for a ticket, or None to leave it in the queue."""

    def choose(
        self, session: Session, ticket: Ticket, *, now: datetime
    ) -> User | None: ...


def shift_calendar(center: Center, tier: int | None) -> BusinessCalendar:
    """The calendar an agent of ``tier`` in ``center`` works by default."""
    return center.business_calendar if tier == 3 else center.peak_calendar


def active_overrides(
    session: Session, user_ids: Sequence[int], at: datetime
) -> dict[int, set[str]]:
    """User id → kinds of override (``on_call``, ``time_off``) covering ``at``."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(ShiftOverride.user_id, ShiftOverride.kind).where(
            ShiftOverride.user_id.in_(list(user_ids)),
            ShiftOverride.starts_at <= at,
            ShiftOverride.ends_at > at,
        )
    )
    kinds: dict[int, set[str]] = {}
    for user_id, kind in rows:
        kinds.setdefault(user_id, set()).add(kind)
    return kinds


def is_on_shift(user: User, center: Center, overrides: set[str], at: datetime) -> bool:
    """Whether ``user`` works at ``at``, given the override kinds covering it."""
    if "time_off" in overrides:
        return False
    if "on_call" in overrides:
        return True
    return shift_calendar(center, user.tier).is_open(at)


def on_shift_agents(
    session: Session,
    *,
    center: Center,
    tier: int,
    language: str,
    at: datetime,
    roles: Sequence[str] = ("agent",),
) -> list[User]:
    """Active agents of the group who speak ``language`` and work at ``at``."""
    staff = [
        user
        for user in session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.role.in_(list(roles)),
                User.center == center.code,
                User.tier == tier,
            )
            .order_by(User.id)
        )
        if language in (user.languages or [])
    ]
    overrides = active_overrides(session, [user.id for user in staff], at)
    return [u for u in staff if is_on_shift(u, center, overrides.get(u.id, set()), at)]


def weighted_loads(
    session: Session, user_ids: Sequence[int], weights: Mapping[str, float]
) -> dict[int, float]:
    """User id → the weighted count of the unsolved tickets assigned to them."""
    loads = dict.fromkeys(user_ids, 0.0)
    if not user_ids:
        return loads
    rows = session.execute(
        select(Ticket.assignee_id, Ticket.priority, func.count(Ticket.id))
        .where(Ticket.assignee_id.in_(list(user_ids)), Ticket.status.in_(UNSOLVED))
        .group_by(Ticket.assignee_id, Ticket.priority)
    )
    for user_id, priority, count in rows:
        loads[user_id] += weights.get(priority, 1.0) * count
    return loads


def last_assigned_in_group(session: Session, center: str, tier: int) -> int | None:
    """The agent the last automatic assignment in this group went to."""
    after = session.scalar(
        select(TicketEvent.after)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.kind == "assignee",
            TicketEvent.actor_type == "system",
            TicketEvent.actor_name == ASSIGNER.name,
            Ticket.center == center,
            Ticket.tier == tier,
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return after if isinstance(after, int) else None


def _next_in_turn(tied: list[User], last_id: int | None) -> User:
    """Round-robin: the first tied agent after the last one served, by id."""
    ordered = sorted(tied, key=lambda user: user.id)
    if last_id is not None:
        for user in ordered:
            if user.id > last_id:
                return user
    return ordered[0]


@dataclass(frozen=True)
class LightestLoad:
    """The on-shift agent with the lightest weighted load; ties round-robin.

    :param weights: priority → the weight of one unsolved ticket of it.
    :param roles: the staff roles that take tickets.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    roles: tuple[str, ...] = ("agent",)

    def __post_init__(self) -> None:
        for priority, weight in self.weights.items():
            if priority not in PRIORITIES:
                raise InvalidInput(
                    f"weights: unknown priority {priority!r}", field="weights"
                )
            if not isinstance(weight, int | float) or weight < 0:
                raise InvalidInput(
                    f"weights: {priority} must be a number >= 0, got {weight!r}",
                    field="weights",
                )

    def choose(self, session: Session, ticket: Ticket, *, now: datetime) -> User | None:
        center = default_centers().get(ticket.center or "")
        if center is None:
            return None
        if ticket.priority not in ROUND_THE_CLOCK_PRIORITIES and center.is_holiday(now):
            return None
        agents = on_shift_agents(
            session,
            center=center,
            tier=ticket.tier,
            language=ticket.language,
            at=now,
            roles=self.roles,
        )
        if not agents:
            return None
        loads = weighted_loads(session, [a.id for a in agents], self.weights)
        lightest = min(loads.values())
        tied = [agent for agent in agents if loads[agent.id] == lightest]
        if len(tied) == 1:
            return tied[0]
        return _next_in_turn(
            tied, last_assigned_in_group(session, center.code, ticket.tier)
        )


_strategy: AssignmentStrategy = LightestLoad()


def use_strategy(strategy: AssignmentStrategy) -> AssignmentStrategy:
    """Install the assignment strategy; returns the one it replaces."""
    global _strategy
    previous, _strategy = _strategy, strategy
    return previous


def current_strategy() -> AssignmentStrategy:
    return _strategy


def assign_automatically(
    session: Session, ticket: Ticket, *, now: datetime
) -> User | None:
    """Give ``ticket`` to the strategy's choice, or return it to the queue.

    Records an ``assignee`` event when the assignee changes; the caller
    stamps the change (version, SLA refresh) as part of its own.

    The event leaves out the assignee's tier and role on purpose: the
    engine routing work to someone is not that person engaging with it, so
    the SLA clock does not count an automatic assignment as an expert
    engaged or a tier response.
    """
    session.flush()
    chosen = _strategy.choose(session, ticket, now=now)
    new_id = chosen.id if chosen else None
    if new_id == ticket.assignee_id:
        return chosen
    before = ticket.assignee_id
    ticket.assignee = chosen
    record_event(
        session,
        ticket,
        ASSIGNER,
        "assignee",
        at=now,
        field="assignee",
        before=before,
        after=new_id,
        data={
            "automatic": True,
            "assignee_name": chosen.name if chosen else None,
            "queue": f"{ticket.center}/tier {ticket.tier}",
        },
    )
    logger.info(
        "event=ticket.assigned ticket=%s assignee=%s queue=%s/%s",
        ticket.reference,
        chosen.email if chosen else None,
        ticket.center,
        ticket.tier,
    )
    return chosen
