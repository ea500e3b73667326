"""Finding tickets: filters, sort orders and keyset pagination.

Pages are cut by a cursor that names the last row seen (its sort key and
id), not by an offset, so tickets created while a client walks the pages
neither repeat a ticket nor skip one. A cursor is opaque to clients: URL-safe
base64 of a small JSON object, bound to the sort order it was made for.

Limitations: sorting by ``updated`` or ``next_deadline`` follows values that
change; a ticket changed between two page requests can move past the cursor
and be seen twice or not at all, as with any keyset over mutable keys.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from slaengine.errors import InvalidInput
from slaengine.models import (
    PRIORITIES,
    Customer,
    Message,
    Organization,
    SlaTimer,
    Ticket,
    TicketDeadline,
    TicketEvent,
    User,
    UTCDateTime,
)

SORTS = ("next_deadline", "created", "updated", "priority")
MAX_LIMIT = 100
# Tickets with nothing left to fire sort after every real deadline.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class TicketFilter:
    """What ``GET /tickets`` may ask for; None means "any"."""

    status: Sequence[str] = ()
    priority: Sequence[str] = ()
    center: str | None = None
    tier: int | None = None
    assignee_id: int | None = None
    unassigned: bool | None = None
    organization_id: int | None = None
    requester_email: str | None = None
    tag: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    breaching_before: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next page (None on the last)."""

    items: list[Any]
    next_cursor: str | None


def encode_cursor(sort: str, key: Any, row_id: int) -> str:
    if isinstance(key, datetime):
        key = key.isoformat()
    raw = json.dumps({"s": sort, "k": key, "i": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The (sort key, id) a cursor names.

    :raises InvalidInput: naming ``cursor`` when it is malformed or was made
        for another sort order.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        made_for, key, row_id = data["s"], data["k"], data["i"]
        if not isinstance(row_id, int):
            raise TypeError(row_id)
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise InvalidInput(
            "cursor: not a cursor this API gave out", field="cursor"
        ) from None
    if made_for != sort:
        raise InvalidInput(
            f"cursor: made for sort={made_for!r}, not sort={sort!r}; "
            "start again without a cursor",
            field="cursor",
        )
    if sort.lstrip("-") == "priority" and not isinstance(key, int):
        raise InvalidInput("cursor: not a cursor this API gave out", field="cursor")
    if sort.lstrip("-") in ("created", "updated", "next_deadline"):
        try:
            key = datetime.fromisoformat(key)
        except (TypeError, ValueError):
            raise InvalidInput(
                "cursor: not a cursor this API gave out", field="cursor"
            ) from None
    return key, row_id


def _sort_key(name: str) -> ColumnElement[Any]:
    if name == "created":
        return Ticket.created_at
    if name == "updated":
        return Ticket.updated_at
    if name == "next_deadline":
        return func.coalesce(
            TicketDeadline.next_deadline_at, literal(NO_DEADLINE, UTCDateTime())
        )
    return case({p: rank for rank, p in enumerate(PRIORITIES)}, value=Ticket.priority)


def _sort_value(name: str, ticket: Ticket) -> Any:
    if name == "created":
        return ticket.created_at
    if name == "updated":
        return ticket.updated_at
    if name == "next_deadline":
        return ticket.next_deadline_at or NO_DEADLINE
    return PRIORITIES.index(ticket.priority)


def _key_literal(name: str, value: Any) -> ColumnElement[Any]:
    if name == "priority":
        return literal(value)
    return literal(value, UTCDateTime())


def _has_tag(dialect: str, tag: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        elements = func.json_array_elements_text(Ticket.tags).table_valued("value")
    else:
        elements = func.json_each(Ticket.tags).table_valued("value")
    return exists(select(1).select_from(elements).where(elements.c.value == tag))


def _breaching_before(instant: datetime) -> ColumnElement[bool]:
    return exists(
        select(SlaTimer.id).where(
            SlaTimer.ticket_id == Ticket.id,
            SlaTimer.met_at.is_(None),
            SlaTimer.state.in_(("running", "breached")),
            SlaTimer.due_at < instant,
        )
    )


def _filtered(query: Select, wanted: TicketFilter, dialect: str) -> Select:
    conditions: list[ColumnElement[bool]] = []
    if wanted.status:
        conditions.append(Ticket.status.in_(tuple(wanted.status)))
    if wanted.priority:
        conditions.append(Ticket.priority.in_(tuple(wanted.priority)))
    if wanted.center is not None:
        conditions.append(Ticket.center == wanted.center)
    if wanted.tier is not None:
        conditions.append(Ticket.tier == wanted.tier)
    if wanted.assignee_id is not None:
        conditions.append(Ticket.assignee_id == wanted.assignee_id)
    if wanted.unassigned is not None:
        column = Ticket.assignee_id
        conditions.append(
            column.is_(None) if wanted.unassigned else column.is_not(None)
        )
    if wanted.organization_id is not None:
        conditions.append(Ticket.organization_id == wanted.organization_id)
    if wanted.requester_email is not None:
        email = wanted.requester_email.strip().lower()
        conditions.append(Ticket.requester.has(Customer.email == email))
    if wanted.tag is not None:
        conditions.append(_has_tag(dialect, wanted.tag.strip().lower()))
    for column, bound, after in (
        (Ticket.created_at, wanted.created_after, True),
        (Ticket.created_at, wanted.created_before, False),
        (Ticket.updated_at, wanted.updated_after, True),
        (Ticket.updated_at, wanted.updated_before, False),
    ):
        if bound is not None:
            conditions.append(column >= bound if after else column < bound)
    if wanted.breaching_before is not None:
        conditions.append(_breaching_before(wanted.breaching_before))
    return query.where(*conditions)


def list_tickets(
    session: Session,
    wanted: TicketFilter,
    *,
    sort: str = "-created",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """One page of tickets matching ``wanted``.

    :param sort: one of :data:`SORTS`, ``-`` in front for descending.
        ``priority`` puts critical first; ``next_deadline`` puts the most
        urgent first and tickets with nothing pending last. Ties break on id.
    :param cursor: the ``next_cursor`` of the previous page.
    :raises InvalidInput: for an unknown sort, a bad cursor or a limit
        outside 1–100.
    """
    name, descending = sort.lstrip("-"), sort.startswith("-")
    if name not in SORTS:
        raise InvalidInput(
            f"sort: unknown sort {sort!r} (one of {', '.join(SORTS)}, "
            "with - for descending)",
            field="sort",
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be 1 to {MAX_LIMIT}", field="limit")
    key = _sort_key(name)
    query = _filtered(select(Ticket), wanted, session.get_bind().dialect.name)
    if name == "next_deadline":
        query = query.join(TicketDeadline, TicketDeadline.ticket_id == Ticket.id)
    if cursor is not None:
        last_key, last_id = decode_cursor(cursor, sort)
        boundary = _key_literal(name, last_key)
        if descending:
            query = query.where(
                or_(key < boundary, and_(key == boundary, Ticket.id < last_id))
            )
        else:
            query = query.where(
                or_(key > boundary, and_(key == boundary, Ticket.id > last_id))
            )
    order = (key.desc(), Ticket.id.desc()) if descending else (key, Ticket.id)
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], encode_cursor(sort, _sort_value(name, last), last.id))


def page_by_id(
    session: Session,
    query: Select,
    column: Any,
    *,
    kind: str,
    cursor: str | None,
    limit: int,
) -> Page:
    """A page of ``query`` in ``column`` (an id) order, for the simple lists.

    ``kind`` binds the cursor to its list, so a cursor of one is refused by
    another.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be 1 to {MAX_LIMIT}", field="limit")
    if cursor is not None:
        _, last_id = decode_cursor(cursor, kind)
        query = query.where(column > last_id)
    rows = list(session.scalars(query.order_by(column).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    return Page(rows[:limit], encode_cursor(kind, None, rows[limit - 1].id))


def messages_page(
    session: Session, ticket: Ticket, *, cursor: str | None, limit: int
) -> Page:
    """The ticket's conversation, oldest first: replies and internal notes."""
    query = select(Message).where(Message.ticket_id == ticket.id)
    return page_by_id(
        session, query, Message.id, kind="messages", cursor=cursor, limit=limit
    )


def events_page(
    session: Session, ticket: Ticket, *, cursor: str | None, limit: int
) -> Page:
    """The ticket's audit log in the order it was written."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    return page_by_id(
        session, query, TicketEvent.id, kind="events", cursor=cursor, limit=limit
    )


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def organizations_page(
    session: Session, *, name: str | None, cursor: str | None, limit: int
) -> Page:
    """Organizations by id, optionally those whose name contains ``name``."""
    query = select(Organization)
    if name:
        query = query.where(
            func.lower(Organization.name).like(_contains(name), escape="\\")
        )
    return page_by_id(
        session,
        query,
        Organization.id,
        kind="organizations",
        cursor=cursor,
        limit=limit,
    )


def users_page(
    session: Session,
    *,
    role: str | None = None,
    center: str | None = None,
    tier: int | None = None,
    language: str | None = None,
    active: bool | None = True,
    cursor: str | None,
    limit: int,
) -> Page:
    """Staff users by id, for assignment pickers.

    Limitations: the language filter reads the JSON list in Python, so a
    page may hold fewer than ``limit`` users while a next page exists.
    """
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if center is not None:
        query = query.where(User.center == center)
    if tier is not None:
        query = query.where(User.tier == tier)
    if active is not None:
        query = query.where(User.active.is_(active))
    page = page_by_id(session, query, User.id, kind="users", cursor=cursor, limit=limit)
    if language is None:
        return page
    return Page([u for u in page.items if language in u.languages], page.next_cursor)


@dataclass(frozen=True)
class Overview:
    """Where a ticket was routed and how much has happened on it."""

    route_center: str | None
    route_tier: int
    route_reason: str | None
    replies: int
    notes: int
    events: int


def ticket_overview(session: Session, ticket: Ticket) -> Overview:
    """The route and counts that ``GET /tickets/{id}`` shows beside the ticket."""
    created = session.scalar(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "created")
        .order_by(TicketEvent.id)
        .limit(1)
    )
    per_kind = dict(
        session.execute(
            select(Message.public, func.count())
            .where(Message.ticket_id == ticket.id)
            .group_by(Message.public)
        ).all()
    )
    events = session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
    )
    return Overview(
        route_center=ticket.center,
        route_tier=ticket.tier,
        route_reason=(created.data or {}).get("route") if created else None,
        replies=per_kind.get(True, 0),
        notes=per_kind.get(False, 0),
        events=events or 0,
    )
