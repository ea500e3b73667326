"""Errors as ``application/problem+json`` (RFC 9457).

Every error of the API is a problem document: ``type``, ``title``,
``status`` and ``detail``, plus ``errors`` (one entry per field message,
with the field's dotted path, where it came from and a JSON pointer) and
``fields`` (the same messages keyed by field path) for validation errors.
The ``type`` URIs point at the problems section of the API reference page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from slaengine.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
DOCS = "/api/v1/docs#problem-"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response; ``kind`` names its section in the reference."""
    body: dict[str, Any] = {
        "type": f"{DOCS}{kind}" if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
        fields: dict[str, list[str]] = {}
        for error in errors:
            fields.setdefault(error["field"], []).append(error["detail"])
        body["fields"] = fields
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _leaves(messages: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _leaves(
                value, path if key == "_schema" and path else (*path, str(key))
            )
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _leaves(item, path)
    else:
        yield ".".join(path) or "_schema", str(messages)


def field_errors(messages: Mapping[str, Any], location: str) -> list[dict[str, Any]]:
    """marshmallow's nested messages as a flat list, one entry per message."""
    return [
        {
            "field": field,
            "location": location,
            "pointer": "#/" + field.replace(".", "/") if field != "_schema" else "#",
            "detail": detail,
        }
        for field, detail in _leaves(messages)
    ]


def from_http_exception(exc: HTTPException) -> Response:
    """An HTTP error (webargs' 422 included) as a problem document."""
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    headers = dict(data.get("headers") or {})
    if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    if messages:
        errors = [
            entry
            for location, per_location in messages.items()
            for entry in field_errors(per_location, location)
        ]
        first = errors[0]
        detail = f"{first['field']}: {first['detail']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        kind = "validation-error" if code == 422 else "bad-request"
        return problem(
            code, exc.name, detail, kind=kind, errors=errors, headers=headers
        )
    return problem(code, exc.name, exc.description or exc.name, headers=headers)


def _without_field_prefix(message: str, field: str | None) -> str:
    if field and message.startswith(f"{field}: "):
        return message[len(field) + 2 :]
    return message


def from_invalid_input(exc: InvalidInput) -> Response:
    field = exc.field or "_schema"
    detail = _without_field_prefix(str(exc), exc.field)
    errors = [
        {
            "field": field,
            "location": "json",
            "pointer": "#/" + field.replace(".", "/"),
            "detail": detail,
        }
    ]
    return problem(
        422, "Unprocessable Content", str(exc), kind="validation-error", errors=errors
    )


def from_not_found(exc: NotFound) -> Response:
    return problem(404, "Not Found", str(exc))


def from_conflict(exc: Conflict) -> Response:
    """409, or 412 for an edit whose ``If-Match`` named an older version."""
    if isinstance(exc, StaleVersion):
        if request.headers.get("If-Match"):
            return problem(412, "Precondition Failed", str(exc), kind="stale-version")
        return problem(409, "Conflict", str(exc), kind="stale-version")
    kind = "invalid-transition" if isinstance(exc, InvalidTransition) else "conflict"
    return problem(409, "Conflict", str(exc), kind=kind)


def from_unexpected(exc: Exception) -> Response:
    if current_app.config.get("TESTING"):
        raise exc
    logger.error("event=api.unhandled path=%s", request.path, exc_info=exc)
    return problem(500, "Internal Server Error", "Something went wrong on our side.")
