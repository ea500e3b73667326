"""Abuse protection for the public pages.

- CSRF: a random token kept in the signed session cookie and repeated in
  every form; a POST without the matching token is refused.
- Rate limits (Flask-Limiter) per client address and per email address.
- A honeypot field that people never see and bots fill in.
- The request size is checked from ``Content-Length`` before anything reads
  the body; Werkzeug also stops reading a body without one at
  ``MAX_CONTENT_LENGTH``.

Every refusal is an :class:`Refused` error that the portal renders as a
polite page; none of them stores anything.

Limitations: the default rate-limit storage is the process's memory, so with
several web workers each keeps its own count (set ``RATELIMIT_STORAGE_URI``
to a shared store such as Redis there). Behind a proxy the client address is
the proxy's unless the app is wrapped in Werkzeug's ``ProxyFix``.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

CSRF_FIELD = "csrf_token"
HONEYPOT_FIELD = "website"

limiter = Limiter(key_func=get_remote_address)


class Refused(HTTPException):
    """A request we turn away, with a message for the person who sent it."""

    def __init__(
        self, code: int, title: str, message: str, field: str | None = None
    ) -> None:
        super().__init__(description=message)
        self.code = code
        self.title = title
        self.field = field


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "portal_csrf" not in session:
        session["portal_csrf"] = secrets.token_urlsafe(32)
    return session["portal_csrf"]


def check_csrf() -> None:
    expected = session.get("portal_csrf")
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise Refused(
            400,
            "Please try again",
            "This form has expired or did not come from this site. "
            "Please go back, reload the page and send it again.",
            field=CSRF_FIELD,
        )


def check_honeypot() -> None:
    if request.form.get(HONEYPOT_FIELD):
        raise Refused(
            400,
            "We could not accept this request",
            "The form contained a field that people leave empty. If you "
            "are a person, please reload the page and send it again.",
            field=HONEYPOT_FIELD,
        )


def reject_oversized() -> None:
    """Refuse a portal request whose declared size is over the limit, unread."""
    if request.blueprint != "portal":
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise Refused(
            413,
            "Your files are too large",
            f"attachments: together they must stay under "
            f"{limit // (1024 * 1024)} MB. Nothing was sent; please go back "
            "and attach smaller files or fewer of them.",
            field="attachments",
        )


def email_key() -> str:
    """The rate-limit key for the address typed in the form."""
    return "email:" + request.form.get("email", "").strip().lower()


def address_limit() -> str:
    return current_app.config["PORTAL_RATE_LIMIT_ADDRESS"]


def email_limit() -> str:
    return current_app.config["PORTAL_RATE_LIMIT_EMAIL"]


def add_headers(response):
    """Keep private links out of referrers and caches; no foreign content."""
    if request.blueprint == "portal":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
    return response


def init_app(app: Flask) -> None:
    # Registered before the limiter's own hook, so a body too large to
    # accept is refused before the limiter reads the form for its key.
    app.before_request(reject_oversized)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    app.after_request(add_headers)
