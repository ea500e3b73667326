"""How many inbound messages per second the mailgate path parses and stores.

Feeds every message of the shared mail corpus (``../shared/mail-corpus`` or
``SLAENGINE_MAIL_CORPUS``) through :func:`slaengine.mail.intake.receive`,
the function behind ``slaengine mailgate``, IMAP and LMTP, on a migrated
database: parse, store the raw message, classify, thread, and open a ticket
or set the message aside. Each round gives every message a fresh
``Message-ID`` so nothing is deduplicated. It also times parsing alone and
storing alone. Process start-up of the ``slaengine mailgate`` command (about
a second of imports) is not included: an MTA pays it per message, the
IMAP poller and LMTP listener do not.

    .venv/bin/python bench/mailgate_bench.py                  # SQLite, temporary
    .venv/bin/python bench/mailgate_bench.py --database-url postgresql://127.0.0.1:5432/bench

The PostgreSQL database is emptied first. Figures: docs/email.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slaengine.config import load_settings
from slaengine.db import Database
from slaengine.mail.intake import receive, store_raw
from slaengine.mail.parsing import parse_message
from slaengine.migrate import rebuild

CORPUS = Path(
    os.environ.get(
        "SLAENGINE_MAIL_CORPUS",
        Path(__file__).resolve().parents[1].parent / "shared" / "mail-corpus",
    )
)
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def load_corpus() -> list[bytes]:
    entries = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    return [(CORPUS / entry["file"]).read_bytes() for entry in entries]


def fresh_id(raw: bytes, tag: str) -> bytes:
    """The message with a new first Message-ID header."""
    return f"Message-ID: <{tag}@bench.example>\r\n".encode() + raw


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def time_parse(messages: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in messages:
        parse_message(raw)
    return rate(len(messages), time.perf_counter() - started)


def time_store(database: Database, messages: list[bytes], round_: int) -> float:
    started = time.perf_counter()
    for number, raw in enumerate(messages):
        store_raw(
            database,
            fresh_id(raw, f"s{round_}.{number}"),
            source="mailgate",
            message_id=f"s{round_}.{number}@bench.example",
            now=START,
        )
    return rate(len(messages), time.perf_counter() - started)


def time_intake(
    database: Database, settings, messages: list[bytes], round_: int
) -> float:
    now = START + timedelta(minutes=round_)
    started = time.perf_counter()
    for number, raw in enumerate(messages):
        receive(
            database,
            fresh_id(raw, f"r{round_}.{number}"),
            source="mailgate",
            settings=settings,
            now=now,
        )
    return rate(len(messages), time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    messages = load_corpus()
    folder = Path(tempfile.mkdtemp(prefix="mailgate-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    env = {
        "SLAENGINE_INSTANCE": str(folder),
        "DATABASE_URL": url,
        "MAIL_FROM": "support@help.example",
        "MAIL_RATE_LIMIT_PER_HOUR": "100000",
    }
    settings = load_settings(env)
    rebuild(settings.database_url)
    database = Database(settings.database_url)
    size = sum(map(len, messages)) / 1024

    parse = [time_parse(messages) for _ in range(args.rounds)]
    store = [time_store(database, messages, n) for n in range(args.rounds)]
    intake = [time_intake(database, settings, messages, n) for n in range(args.rounds)]
    database.dispose()

    print(
        f"database: {database.engine.dialect.name}; corpus: {len(messages)} messages, "
        f"{size:,.0f} KiB; {args.rounds} rounds; medians:"
    )
    print(f"  parse only:                      {statistics.median(parse):8,.0f} msg/s")
    print(f"  store raw only:                  {statistics.median(store):8,.0f} msg/s")
    print(f"  receive (parse, store, process): {statistics.median(intake):8,.0f} msg/s")


if __name__ == "__main__":
    main()
