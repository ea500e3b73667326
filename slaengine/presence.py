"""Who has a ticket open: the agents' "someone else is looking" hint.

The ticket page marks its viewer on load and every 30 seconds while it
stays open; a mark older than :data:`FRESH_FOR` no longer counts, so a
closed tab drops out on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slaengine.models import TicketViewer, User

FRESH_FOR = timedelta(minutes=2)


def mark_viewing(
    session: Session, ticket_id: int, user_id: int, *, now: datetime
) -> None:
    """Record that ``user_id`` has ticket ``ticket_id`` open at ``now``."""
    viewer = session.scalar(
        select(TicketViewer).where(
            TicketViewer.ticket_id == ticket_id, TicketViewer.user_id == user_id
        )
    )
    if viewer is not None:
        viewer.seen_at = now
        return
    try:
        with session.begin_nested():
            session.add(TicketViewer(ticket_id=ticket_id, user_id=user_id, seen_at=now))
    except IntegrityError:
        # Another tab of the same user inserted it first; its mark will do.
        pass


def stop_viewing(session: Session, ticket_id: int, user_id: int) -> None:
    """Forget that ``user_id`` has the ticket open (the page was closed)."""
    session.execute(
        delete(TicketViewer).where(
            TicketViewer.ticket_id == ticket_id, TicketViewer.user_id == user_id
        )
    )


def other_viewers(
    session: Session, ticket_id: int, user_id: int, *, now: datetime
) -> list[User]:
    """Staff other than ``user_id`` who had the ticket open recently."""
    return list(
        session.scalars(
            select(User)
            .join(TicketViewer, TicketViewer.user_id == User.id)
            .where(
                TicketViewer.ticket_id == ticket_id,
                TicketViewer.user_id != user_id,
                TicketViewer.seen_at > now - FRESH_FOR,
            )
            .order_by(User.name)
        )
    )
