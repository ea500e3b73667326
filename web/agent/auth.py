"""Staff sign-in, roles and CSRF protection for the agent workspace.

- Flask-Login keeps the signed-in staff member in the session cookie, which
  is HttpOnly and SameSite=Lax (see :func:`web.create_app`) and Secure
  whenever the request came over HTTPS (behind a proxy, only if the proxy's
  headers are trusted, e.g. with werkzeug's ``ProxyFix``).
- Every POST to the workspace carries a CSRF token bound to the session,
  as a form field or, from scripts, an ``X-CSRF-Token`` header.
- Roles: agents, leads and managers work tickets; leads and managers also
  see the escalation board; executives read, write internal notes and see
  the board; admins do all of it and manage staff accounts.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user

from slaengine.models import User
from web.database import session as db_session

WORK_ROLES = ("agent", "lead", "manager", "admin")
BOARD_ROLES = ("executive", "lead", "manager", "admin")
ADMIN_ROLES = ("admin",)
CSRF_KEY = "csrf_token"

login_manager = LoginManager()
login_manager.login_view = "agent.login"
login_manager.login_message = "Sign in to open the workspace."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


class StaffUser:
    """The signed-in member of staff, as Flask-Login wants it."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return str(self.user.id)

    def can(self, permission: str) -> bool:
        roles = {"work": WORK_ROLES, "board": BOARD_ROLES, "admin": ADMIN_ROLES}[
            permission
        ]
        return self.user.role in roles


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    user = db_session().get(User, int(user_id)) if user_id.isdigit() else None
    return StaffUser(user) if user is not None and user.active else None


def staff() -> User:
    """The signed-in staff member's account (inside a login_required view)."""
    return current_user.user


def requires(permission: str) -> Callable:
    """Refuse the view with 403 unless the signed-in user has ``permission``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(permission):
                abort(403, "Your role does not allow this.")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def csrf_token() -> str:
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def check_csrf() -> None:
    """Refuse a state-changing request without this session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get(CSRF_KEY) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get(CSRF_KEY)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(
            400,
            "The form has expired or did not come from this site. "
            "Reload the page and try again.",
        )


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure on requests that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.session_interface = _SessionInterface()
    app.jinja_env.globals["csrf_token"] = csrf_token
