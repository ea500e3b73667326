"""Staff sign-in with a lock-out after repeated failures.

Five wrong passwords in a row lock an account for fifteen minutes; a
correct password clears the count. A locked account refuses even the right
password until the lock runs out, and the caller shows the same message as
for any other failure, so the answer never tells which part was wrong or
whether the address has an account.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from slaengine.models import User

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)


@cache
def _decoy_hash() -> str:
    return generate_password_hash("not a password of anyone's")


def is_locked(user: User, *, now: datetime) -> bool:
    """Whether a lock-out still holds ``user`` at ``now``."""
    return user.locked_until is not None and user.locked_until > now


def sign_in(
    session: Session, email: str, password: str, *, now: datetime
) -> User | None:
    """The active, unlocked user with these credentials, or None.

    Records the failure on a known account and locks it at
    :data:`MAX_FAILURES`; an unknown address costs the same hash check, so
    timing does not reveal which addresses have accounts.

    :param now: the instant of the attempt, for the lock-out.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    if is_locked(user, now=now):
        logger.info("event=signin.locked user=%s", user.email)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        _record_failure(user, now)
        return None
    user.failed_logins = 0
    user.locked_until = None
    logger.info("event=signin.ok user=%s", user.email)
    return user


def _record_failure(user: User, now: datetime) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILURES:
        user.failed_logins = 0
        user.locked_until = now + LOCK_DURATION
        logger.warning(
            "event=signin.lockout user=%s until=%s",
            user.email,
            user.locked_until.isoformat(),
        )
    else:
        logger.info(
            "event=signin.failed user=%s failures=%s", user.email, user.failed_logins
        )
