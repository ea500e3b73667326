"""The web application: the app factory and its blueprints."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from slaengine.config import load_settings
from slaengine.db import Database


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    Settings come from the environment (see :mod:`slaengine.config`); keys in
    ``config`` override them (tests pass ``DATABASE_URL``, ``TESTING`` …).
    """
    config = dict(config or {})
    env = {
        **os.environ,
        **{k: str(v) for k, v in config.items() if isinstance(v, str | int)},
    }
    settings = load_settings(env)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
    )
    app.config.update(config)
    app.extensions["slaengine.settings"] = settings
    app.extensions["slaengine.db"] = config.get("DATABASE") or Database(
        settings.database_url, public_url=settings.public_url
    )

    from web import database, errors, health

    database.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.blueprint)

    from web import portal

    portal.init_app(app)

    from web import api

    api.init_app(app)

    from web import agent

    agent.init_app(app)
    return app
