"""The ``slaengine`` command.

Errors the user can fix (bad settings, bad input) end the command with one
line on standard error and exit status 1, and change nothing.
"""

from __future__ import annotations

import logging
import sys

import click

from slaengine.config import Settings, load_settings
from slaengine.db import Database
from slaengine.errors import SlaEngineError
from slaengine.logs import configure_logging

logger = logging.getLogger(__name__)


class Context:
    """Settings and database, built on first use so ``--help`` needs neither."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._database: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(
                self.settings.database_url, public_url=self.settings.public_url
            )
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()


pass_context = click.make_pass_decorator(Context, ensure=True)


class Group(click.Group):
    """Turns domain errors into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SlaEngineError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=Group)
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
@click.pass_context
def main(ctx: click.Context, log_level: str | None) -> None:
    """slaengine: support tickets with SLA clocks that know business hours."""
    configure_logging(log_level)
    ctx.obj = Context()
    ctx.call_on_close(ctx.obj.close)


@main.group()
def db() -> None:
    """Create or migrate the database."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(context: Context, revision: str) -> None:
    """Create the database or migrate it to REVISION (default: head)."""
    from slaengine.migrate import upgrade

    upgrade(context.settings.database_url, revision)
    click.echo(f"Database at {_safe_url(context.settings.database_url)} is up to date.")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(context: Context, revision: str) -> None:
    """Migrate the database back to REVISION."""
    from slaengine.migrate import downgrade

    downgrade(context.settings.database_url, revision)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, help="agent, lead, manager, executive or admin.")
@click.option("--center", default=None, help="americas, emea or apac.")
@click.option("--tier", type=int, default=None, help="1, 2 or 3.")
@click.option("--languages", default="en", help="Comma-separated ISO 639-1 codes.")
@pass_context
def create_user_command(
    context: Context, email, name, password, role, center, tier, languages
):
    """Create a staff account."""
    from slaengine.people import create_user

    codes = [code.strip() for code in languages.split(",") if code.strip()]
    with context.database.session() as session:
        user = create_user(
            session,
            email=email,
            name=name,
            password=password,
            role=role,
            center=center,
            tier=tier,
            languages=codes,
        )
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@main.command("create-token")
@click.option("--email", required=True, help="The staff user the token acts as.")
@click.option("--name", default="", help="What the token is for, e.g. monitoring.")
@pass_context
def create_token_command(context: Context, email: str, name: str) -> None:
    """Create a REST API token; it is shown once, alone on the last line."""
    from slaengine.api_tokens import create_token, find_user
    from slaengine.clock import utcnow

    with context.database.session() as session:
        user = find_user(session, email)
        token, plain = create_token(session, user, name=name, now=utcnow())
        click.echo(
            f"API token {token.id} for {user.email} ({user.role}); "
            "keep it now, it is not shown again:"
        )
        click.echo(plain)


@main.command("revoke-token")
@click.option("--id", "token_id", type=int, default=None, help="One token.")
@click.option("--email", default=None, help="Every token of this user.")
@pass_context
def revoke_token_command(
    context: Context, token_id: int | None, email: str | None
) -> None:
    """Revoke an API token by id, or every token of a user."""
    from slaengine.api_tokens import find_user, revoke_token, revoke_user_tokens
    from slaengine.clock import utcnow

    if (token_id is None) == (email is None):
        raise click.UsageError("give exactly one of --id and --email")
    with context.database.session() as session:
        if token_id is not None:
            revoke_token(session, token_id, now=utcnow())
            click.echo(f"Revoked API token {token_id}.")
        else:
            count = revoke_user_tokens(session, find_user(session, email), now=utcnow())
            click.echo(f"Revoked {count} API token(s) of {email}.")


@main.command()
@click.option("--tickets", default=200, show_default=True, help="How many tickets.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has users.")
@pass_context
def demo(context: Context, tickets: int, if_empty: bool) -> None:
    """Load realistic demo data: staff, organizations and tickets."""
    from slaengine.demo import has_data, load_demo

    # The replayed history would log every past breach; keep the output short.
    logging.getLogger("slaengine").setLevel(logging.WARNING)
    with context.database.session() as session:
        if if_empty and has_data(session):
            click.echo("Demo data: the database already has users; nothing loaded.")
            return
        summary = load_demo(session, tickets=tickets)
    click.echo(summary)


@main.command()
@pass_context
def sweep(context: Context) -> None:
    """Run one SLA sweep now and print what it fired."""
    from slaengine.clock import utcnow
    from slaengine.sla.sweep import run_sweep

    result = run_sweep(
        context.database,
        now=utcnow(),
        batch_size=context.settings.sweep_batch_size,
        workers=context.settings.sweep_workers,
    )
    click.echo(f"Swept {result.tickets} due tickets, fired {result.firings} events.")


@main.command("timers")
@click.argument("ticket_id", type=int)
@pass_context
def timers_command(context: Context, ticket_id: int) -> None:
    """Show a ticket's SLA timers: target, state and due time (UTC and local)."""
    from slaengine.clock import utcnow
    from slaengine.sla.report import describe_timers
    from slaengine.tickets import get_ticket

    with context.database.session() as session:
        ticket = get_ticket(session, ticket_id)
        click.echo(describe_timers(session, ticket, now=utcnow()))


@main.command()
@pass_context
def scheduler(context: Context) -> None:
    """Run the scheduler alone (SLA sweep, outbox delivery) until stopped."""
    from slaengine.scheduler import build_scheduler

    logger.info("event=scheduler.start")
    build_scheduler(context.database, context.settings, blocking=True).start()


@main.command()
@click.option("--host", default=None, help="Default: HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: PORT or 5000.")
@click.option("--threads", default=8, show_default=True)
@pass_context
def run(context: Context, host: str | None, port: int | None, threads: int) -> None:
    """Serve the web app (waitress) with the scheduler running beside it."""
    from waitress import serve

    from slaengine.scheduler import build_scheduler
    from web import create_app

    settings = context.settings
    app = create_app({"DATABASE": context.database})
    scheduler = build_scheduler(context.database, settings, blocking=False)
    scheduler.start()
    host, port = host or settings.host, port or settings.port
    logger.info("event=web.start url=http://%s:%s/", host, port)
    try:
        serve(app, host=host, port=port, threads=threads, ident="slaengine")
    finally:
        scheduler.shutdown(wait=False)


# Mail commands (mailgate, lmtp, mail ...) live with the mail package.
from slaengine.mail.commands import COMMANDS as _MAIL_COMMANDS  # noqa: E402

for _command in _MAIL_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
