"""Bearer-token authentication and who may do what.

Every endpoint but the OpenAPI document and its reference page needs
``Authorization: Bearer <token>`` (tokens come from ``slaengine
create-token``). No token, an unknown or revoked one, or one whose user is
deactivated: 401. A valid token whose user's role lacks the permission: 403.

The role matrix (:data:`PERMISSIONS`):

=================  =====  ====  =======  =========  =====
permission         agent  lead  manager  executive  admin
=================  =====  ====  =======  =========  =====
tickets:read       yes    yes   yes      yes        yes
tickets:write      yes    yes   yes      no         yes
webhooks:manage    no     no    no       no         yes
=================  =====  ====  =======  =========  =====

Executives watch; they do not work tickets. Webhooks send ticket data to
other systems, so only administrators point them somewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_smorest import Blueprint

from slaengine.api_tokens import authenticate
from slaengine.clock import utcnow
from slaengine.models import ROLES, User
from web.api.problems import problem
from web.database import session

ALL_ROLES = frozenset(ROLES)
PERMISSIONS: dict[str, frozenset[str]] = {
    "tickets:read": ALL_ROLES,
    "tickets:write": ALL_ROLES - {"executive"},
    "webhooks:manage": frozenset({"admin"}),
}
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token from `slaengine create-token --email E`.",
}


class AuthError(Exception):
    """The request is not authenticated (401) or not allowed (403)."""

    def __init__(self, status: int, detail: str, *, error: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error


def current_user() -> User:
    """The user whose token authenticated this request."""
    return g.api_user


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise AuthError(401, "send an API token: Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(
            401,
            "the Authorization header must be 'Bearer <token>'",
            error="invalid_request",
        )
    db = session()
    found = authenticate(db, token.strip(), now=utcnow())
    if found is None:
        raise AuthError(
            401,
            "the API token is unknown, revoked or its user is deactivated",
            error="invalid_token",
        )
    if db.dirty:
        db.commit()  # only last_used_at has changed: nothing of the request yet
    return found.user


def requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authenticate the request and check ``permission`` before the view runs.

    Also documents the bearer security and the 401/403 answers in OpenAPI.
    """
    roles = PERMISSIONS[permission]
    responses: dict[int, str] = {401: "UNAUTHORIZED"}
    if roles != ALL_ROLES:
        responses[403] = "FORBIDDEN"

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = _authenticate()
            if user.role not in roles:
                raise AuthError(
                    403,
                    f"role {user.role!r} may not do this ({permission}: "
                    f"{', '.join(sorted(roles))})",
                )
            g.api_user = user
            return view(*args, **kwargs)

        return Blueprint.doc(security=[{"bearerAuth": []}], responses=responses)(
            wrapper
        )

    return decorator


def handle_auth_error(exc: AuthError):
    headers = {}
    if exc.status == 401:
        challenge = 'Bearer realm="slaengine"'
        if exc.error:
            challenge += f', error="{exc.error}"'
        headers["WWW-Authenticate"] = challenge
    title = "Unauthorized" if exc.status == 401 else "Forbidden"
    kind = "unauthorized" if exc.status == 401 else "forbidden"
    return problem(exc.status, title, exc.detail, kind=kind, headers=headers)
