"""Shared fixtures: a migrated database, per-test transactions, factories.

The database is SQLite in a temporary folder unless ``TEST_DATABASE_URL``
names another (CI runs the suite a second time on PostgreSQL). The schema is
built once per run with ``alembic upgrade head``, so every run exercises the
migrations. Each test runs inside a transaction that is rolled back; tests
that need real commits (the sweep, the CLI, the web app) use ``database``,
which empties the tables afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from slaengine import tickets as ticket_service
from slaengine.db import Database, make_engine
from slaengine.events import Actor
from slaengine.migrate import rebuild
from slaengine.models import Base, Organization, Ticket, User
from slaengine.people import create_organization, create_user
from tests.timepoints import utc


def _is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _normalise(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return _normalise(configured)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url):
    rebuild(database_url)
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling hides SAVEPOINTs; take it over.
        @event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN")

    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine) -> Iterator[Session]:
    """A session whose commits stay inside a transaction rolled back after."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


def _empty_tables(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def database(engine, database_url) -> Iterator[Database]:
    """A real, committing database; its tables are emptied afterwards."""
    database = Database(database_url)
    _empty_tables(database)
    yield database
    _empty_tables(database)
    database.dispose()


@pytest.fixture
def frozen_clock() -> Iterator:
    """freezegun at the edges (views, jobs): ``move_to`` and ``tick`` it."""
    with freeze_time(utc(2026, 12, 2, 15, 0), tz_offset=0) as frozen:
        yield frozen


@pytest.fixture
def make_organization(db_session):
    counter = iter(range(1, 10_000))

    def make(**overrides) -> Organization:
        n = next(counter)
        values = {
            "name": f"Org {n}",
            "account_tier": "standard",
            "region": "emea",
            "email_domain": f"org{n}.example",
        }
        values.update(overrides)
        return create_organization(db_session, **values)

    return make


@pytest.fixture
def make_user(db_session):
    counter = iter(range(1, 10_000))

    def make(**overrides) -> User:
        n = next(counter)
        values = {
            "email": f"agent{n}@support.example",
            "name": f"Agent {n}",
            "password": "correct horse",
            "role": "agent",
            "center": "emea",
            "tier": 1,
            "languages": ["en"],
        }
        values.update(overrides)
        return create_user(db_session, **values)

    return make


@pytest.fixture
def make_ticket(db_session):
    def make(*, now: datetime | None = None, **overrides) -> Ticket:
        values = {
            "subject": "Checkout is slow",
            "description": "Pages take 20 s to load.",
            "priority": "medium",
            "requester_email": "pat@customer.example",
        }
        values.update(overrides)
        return ticket_service.create_ticket(
            db_session, now=now or utc(2026, 12, 2, 10, 0), **values
        )

    return make


@pytest.fixture
def agent(make_user) -> User:
    return make_user(email="tier1@support.example", name="Tier One", tier=1)


@pytest.fixture
def expert(make_user) -> User:
    return make_user(email="tier2@support.example", name="Tier Two", tier=2)


@pytest.fixture
def as_agent(agent) -> Actor:
    return Actor.for_user(agent)


@pytest.fixture
def postgres_database(database, database_url) -> Database:
    """The committing database, which must be PostgreSQL.

    Skips elsewhere, except where ``REQUIRE_POSTGRES=1`` (CI's PostgreSQL
    run), where a skip would hide a missing server and so fails instead.
    """
    if not _is_postgres(database_url):
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not PostgreSQL")
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL (see README)")
    return database


@pytest.fixture
def app(database, tmp_path):
    """The web app on the committing database, errors raised (TESTING)."""
    from web import create_app

    return create_app(
        {"TESTING": True, "DATABASE": database, "SLAENGINE_INSTANCE": str(tmp_path)}
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(database, tmp_path):
    """The app served by waitress on a free localhost port, in a thread.

    Yields the base URL. Runs without TESTING so errors render as a user sees
    them.
    """
    import threading

    from waitress import create_server

    from web import create_app

    app = create_app({"DATABASE": database, "SLAENGINE_INSTANCE": str(tmp_path)})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (no browser download)."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium: apt-get install chromium")
        pytest.skip("needs Chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
