"""The agent's ticket page: what it shows, and the moves made from it.

:func:`open_ticket` gathers everything the page needs in one call and marks
the agent as viewing the ticket. Due instants are given in two zones, the
agent's and the customer's, because "due 17:00" means nothing to an agent in
Singapore answering a customer in Austin unless it says whose 17:00.

Zones: the agent's own zone, else their center's, else UTC; the customer's
own zone, else their organization's, else the zone of the center serving
the organization's region (marked as a guess), else unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytz
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from slaengine import tickets as ticket_service
from slaengine.attachments import path_for
from slaengine.errors import NotFound
from slaengine.models import Attachment, Message, SlaTimer, Ticket, TicketEvent, User
from slaengine.presence import mark_viewing, other_viewers
from slaengine.queues import assignable_staff
from slaengine.routing.centers import default_centers

METRIC_ORDER = (
    "acknowledge",
    "expert_engaged",
    "workaround",
    "resolution",
    "update",
    "tier2_response",
    "tier3_response",
    "executive_response",
)


@dataclass(frozen=True)
class Zone:
    name: str
    guessed: bool = False

    def local(self, at: datetime | None) -> datetime | None:
        return None if at is None else at.astimezone(pytz.timezone(self.name))


@dataclass(frozen=True)
class TimerView:
    """One SLA timer as the panel shows it.

    ``state`` is the stored state brought up to ``now`` (a running timer
    whose due instant has passed is ``breached`` even before the sweep
    fires it) with ``warning`` for a running timer past its warning instant.
    ``remaining_minutes`` is business time left, for running and paused
    timers only.
    """

    metric: str
    state: str
    target_minutes: float
    calendar: str
    due_at: datetime | None
    met_at: datetime | None
    remaining_minutes: float | None


@dataclass
class TicketPage:
    ticket: Ticket
    messages: list[Message]
    events: list[TicketEvent]
    timers: list[TimerView]
    viewers: list[User]
    agent_zone: Zone
    customer_zone: Zone | None
    staff: list[User]
    centers: list[tuple[str, str]]


def agent_zone(user: User) -> Zone:
    """The zone the agent reads times in: theirs, their center's, or UTC."""
    if user.timezone and user.timezone in pytz.all_timezones_set:
        return Zone(user.timezone)
    center = default_centers().get(user.center or "")
    return Zone(center.tz if center else "UTC")


def customer_zone(ticket: Ticket) -> Zone | None:
    """The customer's zone, guessed from the region if need be; None if unknown."""
    organization = ticket.organization
    known = pytz.all_timezones_set
    if ticket.requester.timezone in known:
        return Zone(ticket.requester.timezone)
    if organization is not None and organization.timezone in known:
        return Zone(organization.timezone)
    if organization is not None and organization.region:
        for center in default_centers().values():
            if organization.region in center.regions:
                return Zone(center.tz, guessed=True)
    return None


def timer_view(timer: SlaTimer, *, now: datetime) -> TimerView:
    """The panel's view of ``timer`` at ``now`` (see :class:`TimerView`)."""
    state = timer.state
    if timer.met_at is None and timer.due_at is not None and timer.due_at <= now:
        state = "breached"
    elif state == "running" and (
        timer.warning_fired_at is not None
        or (timer.warn_at is not None and timer.warn_at <= now)
    ):
        state = "warning"
    remaining = None
    if state in ("running", "warning", "paused"):
        remaining = max(0.0, timer.target_minutes - timer.used_minutes)
    return TimerView(
        timer.metric,
        state,
        timer.target_minutes,
        timer.calendar,
        timer.due_at,
        timer.met_at,
        remaining,
    )


def _metric_rank(timer: SlaTimer) -> int:
    return METRIC_ORDER.index(timer.metric) if timer.metric in METRIC_ORDER else 99


def open_ticket(
    session: Session, ticket_id: int, user: User, *, now: datetime
) -> TicketPage:
    """Everything the ticket page shows; marks ``user`` as viewing it.

    :raises NotFound: when the ticket does not exist.
    """
    ticket = ticket_service.get_ticket(session, ticket_id)
    mark_viewing(session, ticket.id, user.id, now=now)
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.ticket_id == ticket.id)
            .order_by(Message.created_at, Message.id)
            .options(
                selectinload(Message.attachments),
                selectinload(Message.author_user),
                selectinload(Message.author_customer),
            )
        )
    )
    events = list(
        session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        )
    )
    timers = [timer_view(t, now=now) for t in sorted(ticket.timers, key=_metric_rank)]
    return TicketPage(
        ticket=ticket,
        messages=messages,
        events=events,
        timers=timers,
        viewers=other_viewers(session, ticket.id, user.id, now=now),
        agent_zone=agent_zone(user),
        customer_zone=customer_zone(ticket),
        staff=assignable_staff(session),
        centers=[(code, center.name) for code, center in default_centers().items()],
    )


@dataclass(frozen=True)
class AttachmentFile:
    path: Path
    filename: str
    content_type: str


def attachment_file(
    session: Session, attachment_id: int, folder: Path
) -> AttachmentFile:
    """Where an attachment's bytes are, under ``folder`` (see
    :mod:`slaengine.attachments`).

    :raises NotFound: when there is no such attachment, or its file is gone.
    """
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    path = path_for(folder, attachment.sha256)
    if not path.is_file():
        raise NotFound(
            f"the file of attachment {attachment_id} is missing from storage"
        )
    return AttachmentFile(path, attachment.filename, attachment.content_type)
