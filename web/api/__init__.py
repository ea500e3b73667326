"""The REST API under ``/api/v1``, with its OpenAPI document.

flask-smorest builds routing, request validation and the OpenAPI 3
description from the same marshmallow schemas. The document is served at
``/api/v1/openapi.json`` and rendered as a reference page at
``/api/v1/docs`` by the app itself (no scripts, no CDN).

Inside the API every error is ``application/problem+json``; elsewhere the
app's own handlers answer as before. A request body over
:data:`MAX_BODY_BYTES` is refused with 413 before it is read. Views commit
the request session only after every change succeeded, so a 4xx leaves
nothing half-written (the session is rolled back at teardown).
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from slaengine.errors import Conflict, InvalidInput, NotFound
from web.api import auth, directory, problems, reference, tickets, webhooks
from web.api.schemas import ProblemSchema

PREFIX = "/api/v1"
MAX_BODY_BYTES = 1024 * 1024
DESCRIPTION = """\
Tickets for other systems: open them, find them, follow their SLA timers,
work them and escalate them; subscribe to events with signed webhooks.

Authenticate with `Authorization: Bearer <token>` (tokens come from
`slaengine create-token --email E`). Errors are `application/problem+json`
(RFC 9457). The human-readable reference is at `/api/v1/docs`.
"""


class RestApi(Api):
    """flask-smorest's Api, with problem+json errors kept to its own URLs."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        app = self._app
        previous = app.error_handler_spec[None][None].get(HTTPException)

        def handle(exc: HTTPException) -> Any:
            if request.path == PREFIX or request.path.startswith(f"{PREFIX}/"):
                return problems.from_http_exception(exc)
            return previous(exc) if previous is not None else exc

        app.register_error_handler(HTTPException, handle)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _limit_body_size() -> None:
    request.max_content_length = MAX_BODY_BYTES


def _register_error_handlers(blueprint: Any) -> None:
    blueprint.register_error_handler(auth.AuthError, auth.handle_auth_error)
    blueprint.register_error_handler(HTTPException, problems.from_http_exception)
    blueprint.register_error_handler(InvalidInput, problems.from_invalid_input)
    blueprint.register_error_handler(NotFound, problems.from_not_found)
    blueprint.register_error_handler(Conflict, problems.from_conflict)
    blueprint.register_error_handler(Exception, problems.from_unexpected)


for _module in (tickets, directory, webhooks):
    _module.blueprint.before_request(_limit_body_size)
    _register_error_handlers(_module.blueprint)


def init_app(app: Flask) -> Api:
    """Mount the API, its OpenAPI document and its reference page on ``app``."""
    app.config.update(
        API_TITLE="slaengine API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = RestApi(spec_kwargs={"info": {"description": DESCRIPTION}})
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", auth.SECURITY_SCHEME)
    for module in (tickets, directory, webhooks):
        api.register_blueprint(module.blueprint)
    app.register_blueprint(reference.blueprint)
    app.extensions["slaengine.api"] = api
    return api
