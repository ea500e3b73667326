"""Administering staff accounts: list, deactivate, reactivate, unlock.

Accounts are created with :func:`slaengine.people.create_user`. Nobody can
deactivate their own account, so an installation always keeps the admin
who is doing the work.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.errors import Conflict, NotFound
from slaengine.models import User

logger = logging.getLogger(__name__)


def list_staff(session: Session) -> list[User]:
    """Every staff account, active ones first, by name."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.name)))


def get_staff(session: Session, user_id: int) -> User:
    """The staff account ``user_id``.

    :raises NotFound: when there is none.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"staff member {user_id} does not exist")
    return user


def set_active(session: Session, user_id: int, active: bool, *, by: User) -> User:
    """Deactivate (sign out for good) or reactivate an account.

    :raises Conflict: when ``by`` tries to deactivate their own account.
    """
    user = get_staff(session, user_id)
    if user.id == by.id and not active:
        raise Conflict("you cannot deactivate your own account")
    user.active = active
    logger.info(
        "event=user.%s user=%s by=%s",
        "activated" if active else "deactivated",
        user.email,
        by.email,
    )
    return user


def unlock(session: Session, user_id: int, *, by: User) -> User:
    """Lift a sign-in lock-out before it runs out."""
    user = get_staff(session, user_id)
    user.locked_until = None
    user.failed_logins = 0
    logger.info("event=user.unlocked user=%s by=%s", user.email, by.email)
    return user
