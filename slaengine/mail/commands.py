"""Mail commands of the ``slaengine`` command line.

``slaengine mailgate`` is what an MTA pipes each message into; its exit
status follows sysexits(3), which MTAs understand: 0 once the message is
stored (even when it was set aside), 75 (EX_TEMPFAIL) when it could not be
stored, so the MTA keeps it and tries again; nothing is half-stored.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click
from sqlalchemy import select

from slaengine.clock import utcnow
from slaengine.models import InboundMessage

logger = logging.getLogger(__name__)

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75
MAX_STDIN_BYTES = 100 * 1024 * 1024


@click.command()
@click.pass_obj
def mailgate(context) -> None:
    """Read one raw email on standard input and store it (for an MTA pipe)."""
    from slaengine.mail.intake import receive

    raw = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if not raw.strip():
        click.echo("mailgate: no message on standard input; nothing stored", err=True)
        sys.exit(EX_DATAERR)
    if len(raw) > MAX_STDIN_BYTES:
        click.echo(
            f"mailgate: message larger than {MAX_STDIN_BYTES} bytes; nothing stored",
            err=True,
        )
        sys.exit(EX_DATAERR)
    database = None
    try:
        database = context.database
        result = receive(
            database, raw, source="mailgate", settings=context.settings, now=utcnow()
        )
    except Exception as exc:  # anything that stops storing: the MTA retries
        click.echo(f"mailgate: message not stored, try again later: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    finally:
        if database is not None:
            database.dispose()
    if result.status == "set_aside":
        click.echo(
            f"mailgate: stored as {result.inbound_id}, set aside: {result.reason}",
            err=True,
        )
    sys.exit(EX_OK)


@click.command()
@click.option("--host", default=None, help="Default: LMTP_HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: LMTP_PORT or 8024.")
@click.pass_obj
def lmtp(context, host: str | None, port: int | None) -> None:
    """Listen for inbound mail over LMTP until stopped."""
    from slaengine.mail.lmtp import build_listener

    listener = build_listener(context.database, context.settings, host=host, port=port)
    listener.start()
    logger.info("event=lmtp.start host=%s port=%s", listener.hostname, listener.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()


@click.group()
def mail() -> None:
    """Inbound mail: set-aside and failed messages, polling, reprocessing."""


@mail.command("set-aside")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def set_aside(context, limit: int) -> None:
    """List messages that became no ticket or reply, newest first, with why."""
    with context.database.session() as session:
        rows = session.execute(
            select(
                InboundMessage.id,
                InboundMessage.status,
                InboundMessage.received_at,
                InboundMessage.source,
                InboundMessage.reason,
            )
            .where(InboundMessage.status.in_(("set_aside", "failed")))
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        ).all()
    if not rows:
        click.echo("No set-aside or failed messages.")
    for row in rows:
        click.echo(
            f"{row.id}\t{row.status}\t{row.received_at:%Y-%m-%d %H:%M:%SZ}\t"
            f"{row.source}\t{row.reason}"
        )


@mail.command("show")
@click.argument("inbound_id", type=int)
@click.pass_obj
def show(context, inbound_id: int) -> None:
    """Write one stored raw message to standard output, byte for byte."""
    from slaengine.errors import NotFound

    with context.database.session() as session:
        row = session.get(InboundMessage, inbound_id)
        if row is None:
            raise NotFound(f"inbound message {inbound_id} does not exist")
        raw = row.raw
    sys.stdout.buffer.write(raw)


@mail.command("retry")
@click.argument("inbound_id", type=int)
@click.pass_obj
def retry_command(context, inbound_id: int) -> None:
    """Process a set-aside or failed message again."""
    from slaengine.mail.intake import retry

    result = retry(
        context.database, inbound_id, settings=context.settings, now=utcnow()
    )
    click.echo(
        f"Inbound message {result.inbound_id}: {result.status}"
        + (f", ticket #{result.ticket_id}" if result.ticket_id else "")
        + (f" ({result.reason})" if result.reason else "")
    )


@mail.command("poll")
@click.pass_obj
def poll(context) -> None:
    """Poll the IMAP mailboxes once now."""
    from slaengine.mail.imap import poll_imap

    if context.settings.mail.imap is None:
        click.echo("IMAP is not configured (set IMAP_HOST).")
        return
    count = poll_imap(context.database, context.settings, now=utcnow())
    click.echo(f"Stored {count} new messages.")


COMMANDS = (mailgate, lmtp, mail)
