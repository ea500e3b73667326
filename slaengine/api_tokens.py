"""Bearer tokens for the REST API.

A token is shown once, when it is created; the database keeps only its
SHA-256, so a leaked table gives nobody a usable token. Tokens belong to a
staff user and act with that user's role; deactivating the user or revoking
the token ends it at once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaengine.errors import InvalidInput, NotFound
from slaengine.models import ApiToken, User

logger = logging.getLogger(__name__)

PREFIX = "sla_"
MAX_NAME = 100
# How stale ``last_used_at`` may get before a request writes it again: a
# write per request would serialise every reader on SQLite for no gain.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """The hex SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_user(session: Session, email: str) -> User:
    """The staff user with this address.

    :raises NotFound: when there is none.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"there is no staff user {email.strip()!r}")
    return user


def create_token(
    session: Session, user: User, *, name: str = "", now: datetime
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token.

    The plain token exists only in the return value: show it, then forget it.

    :raises InvalidInput: for an inactive user or a name over 100 characters.
    """
    if not user.active:
        raise InvalidInput(f"email: {user.email} is not an active user", field="email")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name: longer than {MAX_NAME} characters", field="name")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(plain), created_at=now
    )
    session.add(token)
    session.flush()
    logger.info(
        "event=api_token.created token=%s user=%s name=%r", token.id, user.email, name
    )
    return token, plain


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one token (revoking a revoked token changes nothing).

    :raises NotFound: when there is no token with this id.
    """
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"API token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = now
        logger.info("event=api_token.revoked token=%s", token.id)
    return token


def revoke_user_tokens(session: Session, user: User, *, now: datetime) -> int:
    """Revoke every live token of ``user``; returns how many were live."""
    tokens = session.scalars(
        select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
        logger.info("event=api_token.revoked token=%s user=%s", token.id, user.email)
    return len(tokens)


def authenticate(session: Session, plain: str, *, now: datetime) -> ApiToken | None:
    """The live token matching ``plain`` with its active user, or None.

    Marks the token used (at most every :data:`LAST_USED_RESOLUTION`); the
    caller commits.
    """
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(plain))
    )
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token
