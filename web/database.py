"""One database session per request, closed (and rolled back) at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from slaengine.db import Database


def database() -> Database:
    return current_app.extensions["slaengine.db"]


def session() -> Session:
    """The request's session. Views commit it after a successful change."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def _close(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.rollback()
        current.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
