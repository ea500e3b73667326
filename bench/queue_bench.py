"""How long the agent queue page takes to serve with 100,000 tickets.

Builds a fresh database (SQLite in a temporary folder, or the PostgreSQL
database named by ``--database-url``, whose tables are dropped and rebuilt),
bulk-inserts synthetic tickets with their SLA timers and first messages
through SQLAlchemy Core, then times requests to the queue views through the
Flask test client: routing, the queries, the badges and the template, without
a network in between. Prints the median and 95th percentile per view.

    .venv/bin/python bench/queue_bench.py [--tickets 100000] [--runs 30]
        [--database-url postgresql://127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text
from werkzeug.security import generate_password_hash

from slaengine.clock import utcnow
from slaengine.db import Database
from slaengine.migrate import upgrade
from slaengine.models import (
    Base,
    Customer,
    Message,
    Organization,
    SlaTimer,
    Ticket,
    TicketDeadline,
    User,
)

PASSWORD = "benchmark-password"
CENTERS = ("americas", "emea", "apac")
PRIORITY_WEIGHTS = {"critical": 2, "high": 10, "medium": 50, "low": 38}
TARGETS = {  # minutes per metric and priority, as in the default policy
    "critical": (15, 30, 120, 240),
    "high": (60, 120, 240, 480),
    "medium": (120, 240, 480, 1440),
    "low": (240, 480, 2880, 3600),
}
METRICS = ("acknowledge", "expert_engaged", "workaround", "resolution")
WORDS = [
    "checkout",
    "slow",
    "export",
    "csv",
    "webhook",
    "delayed",
    "login",
    "outage",
    "invoice",
    "dashboard",
    "totals",
    "search",
    "index",
    "payment",
    "api",
    "timeout",
    "certificate",
    "proxy",
    "upload",
    "quota",
    "report",
    "region",
    "latency",
    "sso",
    "password",
    "mobile",
    "crash",
]
CHUNK = 5_000


def reset(url: str) -> Database:
    database = Database(url)
    with database.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(url)
    return database


def _timers(rng, ticket_id, priority, created, status, now):
    """Four timers as the engine would hold them, and the ticket's next instant."""
    rows, instants = [], []
    done = status in ("solved", "closed")
    for metric, minutes in zip(METRICS, TARGETS[priority], strict=True):
        due = created + timedelta(minutes=minutes * rng.uniform(1.0, 3.0))
        warn = created + (due - created) * 0.75
        met = created + (due - created) * rng.uniform(0.2, 0.9) if done else None
        if met is None and rng.random() < 0.5 and metric == "acknowledge":
            met = created + (due - created) * 0.3
        breached = met is None and due <= now
        warned = met is None and warn <= now
        state = "met" if met else ("breached" if breached else "running")
        if met is None and status == "pending" and metric != "acknowledge":
            state, due, warn, breached, warned = "paused", None, None, False, False
        rows.append(
            {
                "ticket_id": ticket_id,
                "metric": metric,
                "cycle": 1,
                "state": state,
                "calendar": "24x7" if priority in ("critical", "high") else "business",
                "target_minutes": float(minutes),
                "started_at": created,
                "due_at": due,
                "warn_at": warn,
                "met_at": met,
                "breached_at": due if breached else None,
                "used_minutes": 0.0,
                "warning_fired_at": warn if warned else None,
                "breach_fired_at": due if breached else None,
            }
        )
        if met is None:
            instants += [
                t
                for t, fired in ((warn, warned), (due, breached))
                if t is not None and not fired
            ]
    return rows, min(instants, default=None)


def _age(rng: random.Random, status: str) -> timedelta:
    """Open tickets are mostly days old (a few linger for weeks); the solved
    and closed ones spread over half a year."""
    if status in ("solved", "closed"):
        return timedelta(minutes=rng.uniform(60, 60 * 24 * 180))
    return timedelta(minutes=min(rng.expovariate(1 / (60 * 24 * 2)), 60 * 24 * 45))


def populate(database: Database, count: int, *, seed: int = 7) -> int:
    """Insert staff, customers and ``count`` tickets; return the bench agent's id.

    Agent ``i`` works in ``CENTERS[i % 3]`` at tier ``i % 3 + 1``: agent 4 is
    an EMEA tier-2 agent, the one the benchmark signs in as.
    """
    rng = random.Random(seed)
    now = utcnow()
    password_hash = generate_password_hash(PASSWORD)
    with database.engine.begin() as connection:
        connection.execute(
            insert(Organization),
            [
                {
                    "id": i,
                    "name": f"Org {i}",
                    "account_tier": rng.choice(
                        ("strategic", "enterprise", "premium", "standard")
                    ),
                    "region": CENTERS[i % 3],
                    "email_domain": f"org{i}.example",
                    "created_at": now,
                }
                for i in range(1, 61)
            ],
        )
        connection.execute(
            insert(Customer),
            [
                {
                    "id": i,
                    "email": f"c{i}@org{i % 60 + 1}.example",
                    "name": f"Customer {i}",
                    "organization_id": i % 60 + 1,
                    "created_at": now,
                }
                for i in range(1, 2001)
            ],
        )
        connection.execute(
            insert(User),
            [
                {
                    "id": i,
                    "email": f"agent{i}@support.example",
                    "name": f"Agent {i}",
                    "password_hash": password_hash,
                    "role": "agent",
                    "center": CENTERS[i % 3],
                    "tier": i % 3 + 1,
                    "languages": ["en"],
                    "active": True,
                    "failed_logins": 0,
                    "created_at": now,
                }
                for i in range(1, 91)
            ],
        )
        priorities = list(PRIORITY_WEIGHTS)
        weights = list(PRIORITY_WEIGHTS.values())
        for start in range(1, count + 1, CHUNK):
            tickets, deadlines, timers, messages = [], [], [], []
            for ticket_id in range(start, min(start + CHUNK, count + 1)):
                status = rng.choices(
                    ("new", "open", "pending", "on_hold", "solved", "closed"),
                    weights=(4, 12, 5, 2, 17, 60),
                )[0]
                created = now - _age(rng, status)
                priority = rng.choices(priorities, weights=weights)[0]
                rows, next_at = _timers(rng, ticket_id, priority, created, status, now)
                timers += rows
                customer = rng.randint(1, 2000)
                tickets.append(
                    {
                        "id": ticket_id,
                        "subject": " ".join(rng.sample(WORDS, 4)).capitalize(),
                        "status": status,
                        "priority": priority,
                        "channel": "web",
                        "language": "en",
                        "requester_id": customer,
                        "organization_id": customer % 60 + 1,
                        "assignee_id": rng.randint(1, 90) if status != "new" else None,
                        "center": rng.choice(CENTERS),
                        "tier": rng.choices((1, 2, 3), (80, 15, 5))[0],
                        "escalated_to_executives": priority == "critical"
                        and rng.random() < 0.1,
                        "tags": rng.sample(["billing", "api", "sso", "mobile"], 1),
                        "created_at": created,
                        "updated_at": created,
                        "version": 1,
                    }
                )
                deadlines.append({"ticket_id": ticket_id, "next_deadline_at": next_at})
                messages.append(
                    {
                        "ticket_id": ticket_id,
                        "public": True,
                        "author_type": "customer",
                        "author_customer_id": customer,
                        "channel": "web",
                        "created_at": created,
                        "body_text": " ".join(rng.choices(WORDS, k=40)),
                    }
                )
            connection.execute(insert(Ticket), tickets)
            connection.execute(insert(TicketDeadline), deadlines)
            connection.execute(insert(SlaTimer), timers)
            connection.execute(insert(Message), messages)
        if connection.dialect.name == "postgresql":
            for table in ("organization", "customer", "user_account", "ticket"):
                connection.execute(
                    text(
                        f"SELECT setval('{table}_id_seq', "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        connection.execute(text("ANALYZE"))
    return 4


PROPOSED_INDEXES = (
    "CREATE INDEX ix_sla_timer_unmet_due ON sla_timer (due_at) WHERE met_at IS NULL",
)
TRIGRAM_INDEXES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_ticket_subject_trgm ON ticket USING gin (subject gin_trgm_ops)",
    "CREATE INDEX ix_message_body_trgm ON message USING gin (body_text gin_trgm_ops)",
)


def add_proposed_indexes(database: Database) -> None:
    """The indexes docs/agent-workspace.md proposes, to measure what they buy."""
    with database.engine.begin() as connection:
        statements = PROPOSED_INDEXES
        if connection.dialect.name == "postgresql":
            statements += TRIGRAM_INDEXES
        for statement in statements:
            connection.execute(text(statement))
        connection.execute(text("ANALYZE"))


def time_views(
    database: Database, runs: int, instance: Path
) -> list[tuple[str, float, float]]:
    from web import create_app

    app = create_app({"DATABASE": database, "SLAENGINE_INSTANCE": str(instance)})
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/agent/login").text
    ).group(1)
    signed = client.post(
        "/agent/login",
        data={
            "email": "agent4@support.example",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert signed.status_code == 302, "sign-in failed"
    views = [
        ("My open tickets", "/agent/queues/mine"),
        ("Unassigned (my center and tier)", "/agent/queues/unassigned"),
        ("Breaching soon", "/agent/queues/breaching"),
        ("Breached", "/agent/queues/breached"),
        ("Escalated", "/agent/queues/escalated"),
        ("All open, page 1", "/agent/queues/all"),
        ("All open, page 20", "/agent/queues/all?page=20"),
        ("All open, critical only", "/agent/queues/all?priority=critical"),
        ("All open, refresh (rows only)", "/agent/queues/all?partial=1"),
        ("Search subject and messages", "/agent/queues/all?q=certificate+proxy"),
    ]
    results = []
    for label, url in views:
        for _ in range(3):
            assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        results.append(
            (
                label,
                statistics.median(samples),
                samples[min(len(samples) - 1, int(len(samples) * 0.95))],
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--database-url", help="PostgreSQL URL (its tables are dropped)"
    )
    parser.add_argument(
        "--proposed-indexes",
        action="store_true",
        help="also time the views with the indexes docs/agent-workspace.md proposes",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        database = reset(url)
        started = time.perf_counter()
        populate(database, args.tickets)
        print(
            f"{database.engine.dialect.name}: inserted {args.tickets:,} tickets "
            f"in {time.perf_counter() - started:.1f} s"
        )
        report(time_views(database, args.runs, Path(folder)), "indexes of the schema")
        if args.proposed_indexes:
            add_proposed_indexes(database)
            report(
                time_views(database, args.runs, Path(folder)), "with proposed indexes"
            )
        database.dispose()


def report(results: list[tuple[str, float, float]], title: str) -> None:
    print(f"\n{title}\n{'view':<34} {'median ms':>10} {'p95 ms':>8}")
    for label, median, p95 in results:
        print(f"{label:<34} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
