"""API tokens and the role matrix."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from slaengine import cli as cli_module
from slaengine.api_tokens import authenticate, hash_token
from slaengine.cli import main
from slaengine.clock import utcnow
from slaengine.db import Database
from slaengine.models import ApiToken, User
from tests.api.conftest import NEW_TICKET

READS = [
    "/api/v1/tickets",
    "/api/v1/organizations",
    "/api/v1/users",
    "/api/v1/sla/policies",
]


@pytest.mark.parametrize("url", [*READS, "/api/v1/webhooks"])
@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer sla_not-a-token", "Basic dXNlcjpwdw=="]
)
def test_no_or_bad_token_is_401_with_a_challenge(client, url, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="slaengine"')


@pytest.mark.parametrize(
    ("role", "read", "write", "webhooks"),
    [
        ("agent", 200, 201, 403),
        ("lead", 200, 201, 403),
        ("manager", 200, 201, 403),
        ("executive", 200, 403, 403),
        ("admin", 200, 201, 200),
    ],
)
def test_role_matrix(client, auth, role, read, write, webhooks):
    headers = auth(role)
    for url in READS:
        assert client.get(url, headers=headers).status_code == read, url
    created = client.post("/api/v1/tickets", json=NEW_TICKET, headers=headers)
    assert created.status_code == write
    assert client.get("/api/v1/webhooks", headers=headers).status_code == webhooks
    if write == 403:
        assert created.json["type"].endswith("#problem-forbidden")


def test_a_forbidden_write_is_refused_before_its_body_is_read(client, auth):
    response = client.post(
        "/api/v1/tickets", json={"bogus": 1}, headers=auth("executive")
    )
    assert response.status_code == 403


def test_only_the_hash_is_stored_and_revoked_tokens_stop_working(
    client, make_token, database
):
    plain = make_token("agent")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    with database.session() as session:
        token = session.scalar(select(ApiToken))
        assert token.token_hash == hash_token(plain)
        assert plain not in token.token_hash
        assert token.last_used_at is not None
        token.revoked_at = utcnow()
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401


def test_a_deactivated_user_token_is_refused(make_token, database):
    plain = make_token("agent")
    with database.session() as session:
        session.scalar(select(User)).active = False
    with database.session() as session:
        assert authenticate(session, plain, now=utcnow()) is None


@pytest.fixture
def cli_env(database, monkeypatch, tmp_path):
    """Point the command at the test database; close what it opened after."""
    opened: list[Database] = []

    class ClosedAfterwards(Database):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(cli_module, "Database", ClosedAfterwards)
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SLAENGINE_INSTANCE", str(tmp_path))
    yield
    for each in opened:
        each.dispose()


@pytest.mark.usefixtures("cli_env")
def test_cli_creates_a_token_on_its_last_line_and_revokes_it(client, make_token):
    make_token("lead", email="lead@support.example")
    runner = CliRunner()

    created = runner.invoke(
        main,
        ["create-token", "--email", "LEAD@support.example", "--name", "monitoring"],
    )

    assert created.exit_code == 0, created.output
    plain = created.output.strip().splitlines()[-1]
    assert plain.startswith("sla_")
    assert " " not in plain
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200

    revoked = runner.invoke(main, ["revoke-token", "--email", "lead@support.example"])
    assert revoked.exit_code == 0, revoked.output
    assert "Revoked 2" in revoked.output
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401


@pytest.mark.usefixtures("cli_env")
def test_cli_refuses_an_unknown_user():
    result = CliRunner().invoke(main, ["create-token", "--email", "who@example.com"])
    assert result.exit_code == 1
    assert "no staff user" in result.output
