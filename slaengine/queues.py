"""The agents' queues: which tickets each view lists, filtered and ordered.

A queue is a named view of the open tickets (``new``, ``open``, ``pending``,
``on_hold``) seen from one member of staff: their own tickets, the
unassigned ones of their center and tier, those breaching soon, those
breached, those escalated to them, or all of them. Filters narrow any
queue; the default order is the next SLA deadline first.

Ordering uses the ticket's next deadline (``ticket_deadline``, indexed),
the instant at which its next warning or breach is due (see
:mod:`slaengine.sla.firing`), then the ticket id. Tickets with nothing left
to fire come last. That instant is a warning instant while a warning is
still to come, so two tickets are ordered by whichever of them needs
attention first, not by the due instants alone.

Pages are numbered (offset pagination): an agent's queue rarely runs past
a few pages, and the first pages read a handful of index entries even with
100,000 tickets (see ``docs/agent-workspace.md`` for the figures). A page
reads one row more than it shows to know whether another page follows,
rather than counting the whole queue. The navigation's counts stop at
:data:`COUNT_CAP` and cover only the queues that an index answers
(:data:`COUNTED_QUEUES`); counting "breaching soon" and "breached" would read
every timer of every open ticket on each page view.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from slaengine.errors import InvalidInput
from slaengine.models import (
    ACCOUNT_TIERS,
    PRIORITIES,
    Customer,
    Message,
    Organization,
    SlaTimer,
    Ticket,
    TicketDeadline,
    User,
)
from slaengine.people import LANGUAGES
from slaengine.routing.centers import default_centers

ACTIVE_STATUSES = ("new", "open", "pending", "on_hold")
QUEUES = {
    "mine": "My open tickets",
    "unassigned": "Unassigned",
    "breaching": "Breaching soon",
    "breached": "Breached",
    "escalated": "Escalated",
    "all": "All open",
}
SORTS = {
    "deadline": "Next SLA deadline",
    "priority": "Priority",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "updated": "Recently updated",
}
PAGE_SIZE = 50
COUNT_CAP = 1000
COUNTED_QUEUES = ("mine", "unassigned", "escalated", "all")
MAX_SEARCH = 200


@dataclass(frozen=True)
class QueueFilters:
    """What narrows a queue. Empty tuples mean "any".

    ``assignee`` is ``"me"``, ``"none"`` or a user id as text.
    """

    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    center: tuple[str, ...] = ()
    tier: tuple[int, ...] = ()
    account_tier: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    assignee: str | None = None
    tag: str | None = None
    text: str = ""
    sort: str = "deadline"
    page: int = 1

    def __post_init__(self) -> None:
        _check_all("status", self.status, ACTIVE_STATUSES + ("solved", "closed"))
        _check_all("priority", self.priority, PRIORITIES)
        _check_all("center", self.center, tuple(default_centers()))
        _check_all("tier", self.tier, (1, 2, 3))
        _check_all("account_tier", self.account_tier, ACCOUNT_TIERS)
        _check_all("language", self.language, LANGUAGES)
        if (
            self.assignee not in (None, "me", "none")
            and not str(self.assignee).isdigit()
        ):
            raise InvalidInput(
                "assignee: must be me, none or a user id", field="assignee"
            )
        if self.sort not in SORTS:
            raise InvalidInput(f"sort: unknown order {self.sort!r}", field="sort")
        if len(self.text) > MAX_SEARCH:
            raise InvalidInput(
                f"text: search is limited to {MAX_SEARCH} characters", field="text"
            )
        if self.page < 1:
            raise InvalidInput("page: must be 1 or more", field="page")


def _check_all(name: str, values: Sequence[object], allowed: Sequence[object]) -> None:
    for value in values:
        if value not in allowed:
            raise InvalidInput(f"{name}: unknown value {value!r}", field=name)


@dataclass(frozen=True)
class SlaBadge:
    """The commitment a ticket's row shows: the most pressing timer.

    ``state`` is ``breached``, ``warning``, ``running``, ``paused``, ``met``
    or ``none`` (no timers). ``due_at`` is the instant the countdown
    counts to (or from, once breached).
    """

    state: str
    metric: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class QueueRow:
    """What a queue row shows of one ticket (read without the ORM's cost)."""

    id: int
    subject: str
    priority: str
    status: str
    center: str | None
    tier: int
    escalated_to_executives: bool
    requester_name: str
    organization_name: str | None
    account_tier: str | None
    assignee_name: str | None

    @property
    def reference(self) -> str:
        return f"#{self.id}"


@dataclass
class QueuePage:
    queue: str
    tickets: list[QueueRow]
    badges: dict[int, SlaBadge]
    page: int
    has_next: bool
    page_size: int = PAGE_SIZE
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.tickets else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.page_size + len(self.tickets)


def sla_badge(timers: Sequence[SlaTimer], *, now: datetime) -> SlaBadge:
    """The most pressing of ``timers`` at ``now``, for a queue row.

    A breached commitment still unmet comes first (the longest overdue);
    then the running one due soonest, marked ``warning`` once its warning
    instant has passed; then a paused one; then ``met`` when all are met.
    """
    unmet = [t for t in timers if t.met_at is None]
    breached = [t for t in unmet if t.due_at is not None and t.due_at <= now]
    if breached:
        timer = min(breached, key=lambda t: t.due_at)
        return SlaBadge("breached", timer.metric, timer.due_at)
    running = [t for t in unmet if t.due_at is not None]
    if running:
        timer = min(running, key=lambda t: t.due_at)
        warned = timer.warning_fired_at is not None or (
            timer.warn_at is not None and timer.warn_at <= now
        )
        return SlaBadge("warning" if warned else "running", timer.metric, timer.due_at)
    if unmet:
        return SlaBadge("paused", unmet[0].metric)
    if timers:
        return SlaBadge("met")
    return SlaBadge("none")


def _timer_exists(*conditions):
    """The ticket has an unmet timer matching ``conditions``.

    Written as a correlated count rather than ``EXISTS``: PostgreSQL turns
    ``EXISTS`` into a semi-join that scans every timer row, while a count per
    ticket probes the ``(ticket_id, metric)`` index only for the tickets the
    page reads in deadline order.
    """
    matching = (
        select(func.count())
        .select_from(SlaTimer)
        .where(SlaTimer.ticket_id == Ticket.id, SlaTimer.met_at.is_(None), *conditions)
        .scalar_subquery()
    )
    return matching > 0


def _queue_condition(queue: str, user: User, now: datetime):
    if queue == "mine":
        return [Ticket.assignee_id == user.id]
    if queue == "unassigned":
        conditions = [Ticket.assignee_id.is_(None)]
        if user.center:
            conditions.append(Ticket.center == user.center)
        if user.tier:
            conditions.append(Ticket.tier == user.tier)
        return conditions
    if queue == "breaching":
        return [
            _timer_exists(
                or_(SlaTimer.warning_fired_at.is_not(None), SlaTimer.warn_at <= now),
                SlaTimer.breach_fired_at.is_(None),
                SlaTimer.due_at > now,
            )
        ]
    if queue == "breached":
        return [
            _timer_exists(
                or_(SlaTimer.breach_fired_at.is_not(None), SlaTimer.due_at <= now)
            )
        ]
    if queue == "escalated":
        if user.role == "executive":
            return [Ticket.escalated_to_executives.is_(True)]
        if user.tier and user.tier >= 2:
            return [Ticket.tier == user.tier]
        return [or_(Ticket.tier >= 2, Ticket.escalated_to_executives.is_(True))]
    if queue == "all":
        return []
    raise InvalidInput(f"queue: unknown queue {queue!r}", field="queue")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# TODO: message search is a LIKE scan (about 270 ms on PostgreSQL at 100k
# tickets); a full-text index is what would make it fast.
def _search_condition(text: str):
    pattern = _like(text)
    matches = [
        Ticket.subject.ilike(pattern, escape="\\"),
        exists().where(
            Message.ticket_id == Ticket.id,
            Message.body_text.ilike(pattern, escape="\\"),
        ),
    ]
    number = re.fullmatch(r"#?(\d{1,12})", text)
    if number:
        matches.append(Ticket.id == int(number.group(1)))
    return or_(*matches)


def _filter_conditions(filters: QueueFilters, user: User) -> list:
    conditions = [
        Ticket.status.in_(filters.status or ACTIVE_STATUSES),
    ]
    for column, values in (
        (Ticket.priority, filters.priority),
        (Ticket.center, filters.center),
        (Ticket.tier, filters.tier),
        (Ticket.language, filters.language),
    ):
        if values:
            conditions.append(column.in_(values))
    if filters.account_tier:
        conditions.append(
            Ticket.organization_id.in_(
                select(Organization.id).where(
                    Organization.account_tier.in_(filters.account_tier)
                )
            )
        )
    if filters.assignee == "me":
        conditions.append(Ticket.assignee_id == user.id)
    elif filters.assignee == "none":
        conditions.append(Ticket.assignee_id.is_(None))
    elif filters.assignee:
        conditions.append(Ticket.assignee_id == int(filters.assignee))
    if filters.tag:
        # Tags are a JSON list of lower-case strings; its text form holds
        # each one in double quotes on both SQLite and PostgreSQL.
        tag = filters.tag.strip().lower().replace('"', "")
        conditions.append(
            cast(Ticket.tags, String).like(_like(f'"{tag}"'), escape="\\")
        )
    if filters.text.strip():
        conditions.append(_search_condition(filters.text.strip()))
    return conditions


def _order(sort: str) -> list:
    if sort == "priority":
        rank = case({p: i for i, p in enumerate(PRIORITIES)}, value=Ticket.priority)
        return [
            rank,
            TicketDeadline.next_deadline_at.is_(None),
            TicketDeadline.next_deadline_at,
            Ticket.id,
        ]
    if sort == "newest":
        return [Ticket.id.desc()]
    if sort == "oldest":
        return [Ticket.id]
    if sort == "updated":
        return [Ticket.updated_at.desc(), Ticket.id.desc()]
    return [TicketDeadline.next_deadline_at.asc().nulls_last(), Ticket.id]


def queue_query(
    queue: str, user: User, filters: QueueFilters, *, now: datetime
) -> Select:
    """The ``SELECT`` of the tickets in ``queue`` for ``user``, unordered."""
    conditions = _queue_condition(queue, user, now) + _filter_conditions(filters, user)
    return select(Ticket).where(and_(*conditions))


def count_queue(
    session: Session, queue: str, user: User, filters: QueueFilters, *, now: datetime
) -> int:
    """How many tickets ``queue`` holds, counting no further than :data:`COUNT_CAP`."""
    return session.scalar(_capped_count(queue, user, filters, now)) or 0


def _capped_count(queue: str, user: User, filters: QueueFilters, now: datetime):
    query = queue_query(queue, user, filters, now=now).with_only_columns(Ticket.id)
    return select(func.count()).select_from(query.limit(COUNT_CAP).subquery())


def _load_rows(
    session: Session, ids: Sequence[int], *, now: datetime
) -> tuple[list[QueueRow], dict[int, SlaBadge]]:
    """The rows of tickets ``ids`` in that order, and each one's SLA badge."""
    if not ids:
        return [], {}
    query = (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.priority,
            Ticket.status,
            Ticket.center,
            Ticket.tier,
            Ticket.escalated_to_executives,
            func.coalesce(func.nullif(Customer.name, ""), Customer.email),
            Organization.name,
            Organization.account_tier,
            User.name,
        )
        .join(Customer, Customer.id == Ticket.requester_id)
        .outerjoin(Organization, Organization.id == Ticket.organization_id)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(Ticket.id.in_(ids))
    )
    by_id = {row[0]: QueueRow(*row) for row in session.execute(query)}
    timers: dict[int, list] = {ticket_id: [] for ticket_id in ids}
    for timer in session.execute(
        select(
            SlaTimer.ticket_id,
            SlaTimer.metric,
            SlaTimer.due_at,
            SlaTimer.warn_at,
            SlaTimer.met_at,
            SlaTimer.warning_fired_at,
        ).where(SlaTimer.ticket_id.in_(ids))
    ):
        timers[timer.ticket_id].append(timer)
    rows = [by_id[ticket_id] for ticket_id in ids if ticket_id in by_id]
    badges = {row.id: sla_badge(timers[row.id], now=now) for row in rows}
    return rows, badges


def queue_page(
    session: Session,
    queue: str,
    user: User,
    filters: QueueFilters | None = None,
    *,
    now: datetime,
    with_counts: bool = False,
) -> QueuePage:
    """One page of ``queue`` as ``user`` sees it, with each row's SLA badge.

    :param with_counts: also count the :data:`COUNTED_QUEUES`, unfiltered,
        for the navigation.

    :raises InvalidInput: for an unknown queue.
    """
    filters = filters or QueueFilters()
    # The page's ticket numbers first, from the ticket table and its deadline
    # alone (so the database sorts narrow rows and stops early), then the
    # rows with their requester, organization, assignee and timers.
    ids = list(
        session.scalars(
            queue_query(queue, user, filters, now=now)
            .with_only_columns(Ticket.id)
            .join(TicketDeadline, TicketDeadline.ticket_id == Ticket.id)
            .order_by(*_order(filters.sort))
            .limit(PAGE_SIZE + 1)
            .offset((filters.page - 1) * PAGE_SIZE)
        )
    )
    has_next = len(ids) > PAGE_SIZE
    rows, badges = _load_rows(session, ids[:PAGE_SIZE], now=now)
    counts = queue_counts(session, user, now=now) if with_counts else {}
    return QueuePage(queue, rows, badges, filters.page, has_next, counts=counts)


def queue_counts(session: Session, user: User, *, now: datetime) -> dict[str, int]:
    """How many tickets each of :data:`COUNTED_QUEUES` holds for ``user``,
    unfiltered, up to :data:`COUNT_CAP`."""
    counts = [
        _capped_count(queue, user, QueueFilters(), now).scalar_subquery()
        for queue in COUNTED_QUEUES
    ]
    row = session.execute(select(*counts)).one()
    return dict(zip(COUNTED_QUEUES, row, strict=True))


def escalation_board(session: Session, *, now: datetime) -> QueuePage:
    """The executives' board: open tickets escalated to executives, or critical
    ones with a breached commitment, longest-running first.
    """
    condition = or_(
        Ticket.escalated_to_executives.is_(True),
        and_(
            Ticket.priority == "critical",
            _timer_exists(
                or_(SlaTimer.breach_fired_at.is_not(None), SlaTimer.due_at <= now)
            ),
        ),
    )
    ids = list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.status.in_(ACTIVE_STATUSES), condition)
            .order_by(Ticket.created_at, Ticket.id)
            .limit(PAGE_SIZE)
        )
    )
    rows, badges = _load_rows(session, ids, now=now)
    return QueuePage("board", rows, badges, 1, has_next=False)


def assignable_staff(session: Session) -> list[User]:
    """Active staff who can take tickets, by name."""
    return list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(("agent", "lead", "manager")))
            .order_by(User.name)
        )
    )
