"""App-wide error handlers: JSON for API clients, HTML for browsers."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from slaengine.errors import Conflict, InvalidInput, NotFound

logger = logging.getLogger(__name__)

PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>{{ code }} {{ title }}</title><h1>{{ title }}</h1><p>{{ message }}</p></html>"""


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or best == "application/json"


def error_response(
    code: int, title: str, message: str, **extra
) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=title, message=message, **extra), code
    return render_template_string(PAGE, code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_response(404, "Not Found", str(exc))

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict):
        return error_response(409, "Conflict", str(exc))

    @app.errorhandler(InvalidInput)
    def invalid(exc: InvalidInput):
        return error_response(422, "Unprocessable Entity", str(exc), field=exc.field)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if app.config.get("TESTING"):
            raise exc
        logger.error("event=web.unhandled path=%s", request.path, exc_info=exc)
        return error_response(
            500, "Internal Server Error", "Something went wrong on our side."
        )
