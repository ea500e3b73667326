"""The agent workspace: queues, the ticket page, sign-in, staff administration."""

from __future__ import annotations

from flask import Flask

from web.agent import auth, presenters
from web.agent.views import blueprint


def init_app(app: Flask) -> None:
    auth.init_app(app)
    presenters.init_app(app)
    app.register_blueprint(blueprint)
