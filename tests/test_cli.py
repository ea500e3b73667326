"""The ``slaengine`` command: migrations, users, demo data, errors."""

import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from slaengine.cli import main
from slaengine.demo import DEMO_PASSWORD, STAFF
from slaengine.models import Organization, SlaTimer, Ticket, User
from slaengine.people import authenticate


@pytest.fixture
def cli(database, database_url, tmp_path):
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "SLAENGINE_INSTANCE": str(tmp_path)}

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def users(database):
    with database.session() as session:
        return {u.email: u for u in session.scalars(select(User))}


def test_create_user_stores_a_hashed_password(cli, database):
    result = cli(
        "create-user",
        "--email",
        "Nina@Support.Example",
        "--name",
        "Nina",
        "--password",
        "s3cret-pass",
        "--role",
        "lead",
        "--center",
        "emea",
        "--tier",
        "2",
        "--languages",
        "en,de",
    )
    assert result.exit_code == 0, result.output
    nina = users(database)["nina@support.example"]
    assert (nina.role, nina.center, nina.tier, nina.languages) == (
        "lead",
        "emea",
        2,
        ["en", "de"],
    )
    assert "s3cret-pass" not in nina.password_hash
    with database.session() as session:
        assert (
            authenticate(session, "nina@support.example", "s3cret-pass").id == nina.id
        )
        assert authenticate(session, "nina@support.example", "wrong") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nope", "--role", "agent"], "'nope' is not a valid email address"),
        (["--email", "a@b.example", "--role", "wizard"], "unknown role 'wizard'"),
        (
            ["--email", "a@b.example", "--role", "agent", "--center", "mars"],
            "unknown center 'mars'",
        ),
        (
            ["--email", "a@b.example", "--role", "agent", "--tier", "4"],
            "tier: must be 1, 2 or 3",
        ),
        (
            ["--email", "a@b.example", "--role", "agent", "--languages", "en,xx"],
            "unknown language 'xx'",
        ),
    ],
)
def test_create_user_rejects_bad_input_and_creates_nothing(
    cli, database, args, message
):
    result = cli("create-user", "--name", "X", "--password", "long enough", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert users(database) == {}


def test_duplicate_email_is_refused_whatever_its_case(cli, database):
    base = ["--name", "X", "--password", "long enough", "--role", "agent"]
    assert cli("create-user", "--email", "dup@support.example", *base).exit_code == 0
    result = cli("create-user", "--email", "DUP@support.example", *base)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert len(users(database)) == 1


def test_demo_loads_staff_organizations_and_tickets_once(cli, database):
    result = cli("demo", "--tickets", "30")
    assert result.exit_code == 0, result.output
    staff = users(database)
    assert {email for email, *_ in STAFF} == set(staff)
    assert {u.role for u in staff.values()} == {
        "agent",
        "lead",
        "manager",
        "executive",
        "admin",
    }
    with database.session() as session:
        tiers = set(session.scalars(select(Organization.account_tier)))
        regions = set(session.scalars(select(Organization.region)))
        statuses = set(session.scalars(select(Ticket.status)))
        assert session.scalar(select(func.count(Ticket.id))) == 30
        assert session.scalar(select(func.count(SlaTimer.id))) >= 30 * 4
        assert authenticate(session, "cco@example.com", DEMO_PASSWORD) is not None
    assert tiers == {"strategic", "enterprise", "premium", "standard"}
    assert regions == {"americas", "emea", "apac"}
    assert len(statuses) >= 4

    again = cli("demo", "--if-empty")
    assert "nothing loaded" in again.output
    assert len(users(database)) == len(staff)


def test_db_upgrade_creates_a_fresh_database_through_the_console_script(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "slaengine.cli", "db", "upgrade"],
        env={"DATABASE_URL": url, "SLAENGINE_INSTANCE": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout
    assert (tmp_path / "fresh.db").stat().st_size > 0


def test_bad_setting_stops_with_one_line_naming_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "slaengine.cli", "db", "upgrade"],
        env={
            "DATABASE_URL": "mysql://x/y",
            "SLAENGINE_INSTANCE": str(tmp_path),
            "PATH": "",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: DATABASE_URL must be sqlite:// or postgresql://, got 'mysql'"
    )


def test_timers_command_shows_due_times_in_utc_and_at_the_center(cli, database):
    from datetime import UTC, datetime

    from slaengine import tickets as ticket_service
    from slaengine.people import create_organization

    with database.session() as session:
        org = create_organization(
            session, name="Sakura", region="apac", email_domain="sk.example"
        )
        ticket = ticket_service.create_ticket(
            session,
            subject="Down",
            description="All down",
            priority="critical",
            requester_email="a@sk.example",
            organization=org,
            now=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
        )
    output = cli("timers", str(ticket.id)).output
    assert "center apac" in output
    assert (
        "acknowledge        breached  target 15 min (24x7), "
        "due 2026-12-02 01:15:00 UTC (Wed 2026-12-02 09:15 +08)"
    ) in output
    assert (
        "resolution         breached  target 240 min (24x7), "
        "due 2026-12-02 05:00:00 UTC"
    ) in output
    assert cli("timers", "999999").output == "Error: ticket #999999 does not exist\n"


def test_sweep_command_mails_links_under_the_public_url(
    database, database_url, tmp_path
):
    from datetime import timedelta

    from slaengine import tickets as ticket_service
    from slaengine.clock import utcnow
    from slaengine.models import OutboxMessage
    from slaengine.people import create_user

    with database.session() as session:
        for center in ("americas", "emea", "apac"):
            create_user(
                session,
                email=f"lead.{center}@support.example",
                name=f"Lead {center}",
                password="long enough",
                role="lead",
                center=center,
                tier=2,
            )
        ticket = ticket_service.create_ticket(
            session,
            subject="Down",
            description="All down",
            priority="critical",
            requester_email="a@rw.example",
            now=utcnow() - timedelta(hours=1),
        )
    env = {
        "DATABASE_URL": database_url,
        "SLAENGINE_INSTANCE": str(tmp_path),
        "PUBLIC_URL": "https://help.example/",
    }

    result = CliRunner().invoke(main, ["sweep"], env=env, catch_exceptions=False)

    assert "Swept 1 due tickets" in result.output
    with database.session() as session:
        bodies = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.ticket_id == ticket.id)
        ).all()
    link = f"Open the ticket: https://help.example/agent/tickets/{ticket.id}\n"
    assert bodies
    assert all(link in body for body in bodies), bodies
