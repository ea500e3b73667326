"""How fast the SLA sweep processes due tickets in a large database.

Builds a database of 1,000,000 tickets (700,000 open, 10,000 of them due),
then times, on the same data, a full sweep of the due tickets (firing their
warnings and breaches as events and outbox mail, recomputing their next
deadline), the due lookup and its query plan, and how late the scheduler
fires an event in a live run.

    .venv/bin/python bench/sweep_bench.py                      # SQLite
    .venv/bin/python bench/sweep_bench.py --database-url postgresql://127.0.0.1:5432/bench

The PostgreSQL database is emptied first. Figures: docs/sla.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from slaengine.config import Settings
from slaengine.db import Database
from slaengine.migrate import rebuild
from slaengine.models import (
    Customer,
    Organization,
    OutboxMessage,
    SlaFiring,
    SlaTimer,
    Ticket,
    TicketDeadline,
    TicketEvent,
    User,
)
from slaengine.sla.sweep import due_tickets_query, run_sweep

# The data is laid out around the real present, so that the live scheduler run
# at the end (which reads the real clock) sees the same world as the sweeps.
NOW = datetime.now(UTC).replace(microsecond=0)
CHUNK = 20_000
ESCALATION_ACTION = {
    "critical": "notify_executives",
    "high": "notify_management",
    "medium": "next_tier",
}


def _chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def populate(
    database: Database, *, tickets: int, open_: int, due: int, seed: int = 1
) -> None:
    rng = random.Random(seed)
    with database.engine.begin() as connection:
        connection.execute(
            insert(Organization),
            [
                {
                    "id": 1,
                    "name": "Bench Org",
                    "account_tier": "standard",
                    "region": "emea",
                    "created_at": NOW,
                }
            ],
        )
        connection.execute(
            insert(User),
            [
                {
                    "id": n,
                    "email": f"agent{n}@bench.example",
                    "name": f"Agent {n}",
                    "password_hash": "x",
                    "role": "agent",
                    "center": "emea",
                    "tier": 1,
                    "languages": ["en"],
                    "active": True,
                    "failed_logins": 0,
                    "created_at": NOW,
                }
                for n in range(1, 51)
            ],
        )
        connection.execute(
            insert(Customer),
            [
                {
                    "id": n,
                    "email": f"c{n}@bench.example",
                    "name": f"C {n}",
                    "organization_id": 1,
                    "is_organization_contact": False,
                    "created_at": NOW,
                }
                for n in range(1, 1001)
            ],
        )
    ids = list(range(1, tickets + 1))
    due_ids = set(rng.sample(ids[:open_], due))
    for block in _chunks(ids):
        ticket_rows, deadline_rows, timer_rows = [], [], []
        for tid in block:
            is_open = tid <= open_
            created = NOW - timedelta(minutes=rng.uniform(10, 60 * 24 * 30))
            if tid in due_ids:
                deadline = NOW - timedelta(seconds=rng.uniform(1, 600))
            elif is_open:
                deadline = NOW + timedelta(minutes=rng.uniform(1, 60 * 24 * 10))
            else:
                deadline = None
            ticket_rows.append(
                {
                    "id": tid,
                    "subject": f"Ticket {tid}",
                    "status": "open" if is_open else "closed",
                    "priority": rng.choice(("critical", "high", "medium", "low")),
                    "channel": "web",
                    "language": "en",
                    "requester_id": 1 + tid % 1000,
                    "organization_id": 1,
                    "assignee_id": 1 + tid % 50,
                    "center": "emea",
                    "tier": 1,
                    "escalated_to_executives": False,
                    "tags": [],
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                }
            )
            deadline_rows.append({"ticket_id": tid, "next_deadline_at": deadline})
            if not is_open:
                continue
            for metric in ("acknowledge", "expert_engaged", "workaround", "resolution"):
                running = metric != "acknowledge"
                due_at = (
                    deadline + timedelta(minutes=30)
                    if running
                    else created + timedelta(minutes=15)
                )
                timer_rows.append(
                    {
                        "ticket_id": tid,
                        "metric": metric,
                        "cycle": 1,
                        "state": "running" if running else "met",
                        "calendar": "24x7",
                        "target_minutes": 240.0,
                        "started_at": created,
                        "due_at": deadline if metric == "expert_engaged" else due_at,
                        "warn_at": (deadline - timedelta(minutes=20))
                        if running
                        else None,
                        "met_at": None if running else created + timedelta(minutes=5),
                        "used_minutes": 0.0,
                        # Warnings of the other timers already went out.
                        "warning_fired_at": None
                        if metric == "expert_engaged"
                        else created,
                    }
                )
        # In a running system the escalation rules of tickets this old have
        # long fired: record that, so the sweep meets the steady state.
        escalation_rows = [
            {
                "ticket_id": row["id"],
                "metric": "escalation",
                "cycle": 1,
                "kind": ESCALATION_ACTION[row["priority"]],
                "due_at": row["created_at"],
                "fired_at": row["created_at"],
                "late": False,
            }
            for row in ticket_rows
            if row["status"] == "open" and row["priority"] in ESCALATION_ACTION
        ]
        with database.engine.begin() as connection:
            connection.execute(insert(Ticket), ticket_rows)
            connection.execute(insert(TicketDeadline), deadline_rows)
            if timer_rows:
                connection.execute(insert(SlaTimer), timer_rows)
            if escalation_rows:
                connection.execute(insert(SlaFiring), escalation_rows)
    # A running system's tables are vacuumed; without this the first minutes
    # after a bulk load measure autovacuum catching up, not the sweep.
    with database.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        is_postgres = connection.dialect.name == "postgresql"
        connection.execute(text("VACUUM ANALYZE" if is_postgres else "ANALYZE"))


def time_sweep(
    database: Database, batch_size: int, workers: int
) -> tuple[float, int, int]:
    started = time.perf_counter()
    result = run_sweep(
        database,
        now=NOW,
        batch_size=batch_size,
        max_batches=10_000,
        workers=workers,
    )
    return time.perf_counter() - started, result.tickets, result.firings


def time_due_lookup(database: Database, repeats: int = 50) -> tuple[float, float, str]:
    """The due lookup's index range scan alone (the due ids), the whole lookup
    with the ticket columns the sweep reads, and the whole lookup's plan."""
    ids = (
        select(TicketDeadline.ticket_id)
        .where(TicketDeadline.next_deadline_at <= NOW)
        .order_by(TicketDeadline.next_deadline_at)
        .limit(500)
    )
    query = due_tickets_query(NOW, 500, skip_locked=False)
    with database.engine.connect() as connection:
        medians = []
        for timed in (ids, query):
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                connection.execute(timed).all()
                samples.append(time.perf_counter() - started)
            medians.append(statistics.median(samples))
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        explain = (
            "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
        )
        plan = "\n".join(
            " ".join(map(str, row))
            for row in connection.execute(text(explain + str(compiled)))
        )
    return medians[0], medians[1], plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=700_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--workers",
        type=int,
        default=Settings.sweep_workers,
        help="sweep workers (PostgreSQL; SQLite always sweeps with one)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"

    rebuild(url)
    database = Database(url)
    started = time.perf_counter()
    populate(database, tickets=args.tickets, open_=args.open, due=args.due)
    print(
        f"database: {database.engine.dialect.name}; built {args.tickets:,} tickets "
        f"({args.open:,} open, {args.due:,} due) "
        f"in {time.perf_counter() - started:.0f} s"
    )

    scan, lookup, plan = time_due_lookup(database)
    print(
        f"due lookup (first 500 due tickets): index range scan {scan * 1000:.2f} ms, "
        f"with the ticket columns {lookup * 1000:.2f} ms (medians); plan:\n  "
        + plan.replace("\n", "\n  ")
    )

    with database.session() as session:
        snapshot = list(
            session.execute(
                select(TicketDeadline.ticket_id, TicketDeadline.next_deadline_at).where(
                    TicketDeadline.next_deadline_at <= NOW
                )
            )
        )
        timers = list(
            session.execute(
                select(SlaTimer.id).where(
                    SlaTimer.metric == "expert_engaged",
                    SlaTimer.ticket_id.in_(
                        select(TicketDeadline.ticket_id).where(
                            TicketDeadline.next_deadline_at <= NOW
                        )
                    ),
                )
            )
        )
    timer_ids = [row[0] for row in timers]
    workers = args.workers if database.engine.dialect.name == "postgresql" else 1
    rates = []
    for repeat in range(args.repeats):
        seconds, swept, fired = time_sweep(database, args.batch_size, workers)
        rates.append(swept / seconds)
        print(
            f"sweep {repeat + 1}: {swept:,} due tickets, {fired:,} firings "
            f"in {seconds:.2f} s "
            f"= {swept / seconds:,.0f} tickets/s"
        )
        restore(database, snapshot, timer_ids)
    print(
        f"sweep median: {statistics.median(rates):,.0f} due tickets/s "
        f"(batch size {args.batch_size}, {workers} worker{'s' if workers > 1 else ''})"
    )
    run_sweep(
        database,
        now=NOW,
        batch_size=args.batch_size,
        max_batches=10_000,
        workers=workers,
    )
    print(f"fire latency in a live scheduler: {live_latency(database):.1f} s at most")


def restore(database: Database, snapshot, timer_ids) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            SlaFiring.__table__.delete().where(
                SlaFiring.__table__.c.metric != "escalation"
            )
        )
        for table in (TicketEvent, OutboxMessage):
            connection.execute(table.__table__.delete())
        table = TicketDeadline.__table__
        for block in _chunks(snapshot, 5000):
            connection.execute(
                table.update()
                .where(table.c.ticket_id == _bind("tid"))
                .values(next_deadline_at=_bind("nd")),
                [{"tid": tid, "nd": nd} for tid, nd in block],
            )
        timers = SlaTimer.__table__
        for block in _chunks(timer_ids, 5000):
            connection.execute(
                timers.update()
                .where(timers.c.id.in_(block))
                .values(
                    state="running",
                    warning_fired_at=None,
                    breach_fired_at=None,
                    breached_at=None,
                )
            )
    # Deleting a sweep's 60,000 rows is the benchmark's doing, not the
    # system's: vacuum them, or the next sweep competes with autovacuum.
    with database.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "VACUUM ticket_deadline, sla_timer, sla_firing, "
                    "ticket_event, outbox"
                )
            )


def _bind(name):
    from sqlalchemy import bindparam

    return bindparam(name)


def live_latency(database: Database, tickets: int = 50, seconds: float = 20.0) -> float:
    """Run the real sweep job every 5 s and measure how late events fire."""
    from slaengine.clock import utcnow
    from slaengine.config import load_settings
    from slaengine.scheduler import build_scheduler

    start = utcnow()
    with database.engine.begin() as connection:
        table = TicketDeadline.__table__
        ids = [
            row[0]
            for row in connection.execute(
                select(table.c.ticket_id)
                .where(table.c.next_deadline_at > NOW)
                .limit(tickets)
            )
        ]
        connection.execute(
            SlaFiring.__table__.delete().where(
                SlaFiring.__table__.c.metric != "escalation"
            )
        )
        for n, tid in enumerate(ids):
            due = start + timedelta(seconds=2 + n * (seconds - 8) / tickets)
            connection.execute(
                table.update()
                .where(table.c.ticket_id == tid)
                .values(next_deadline_at=due)
            )
            connection.execute(
                SlaTimer.__table__.update()
                .where(
                    SlaTimer.__table__.c.ticket_id == tid,
                    SlaTimer.__table__.c.metric == "expert_engaged",
                )
                .values(
                    due_at=due, warn_at=due, warning_fired_at=due, breach_fired_at=None
                )
            )
    settings = load_settings(
        {
            "DATABASE_URL": database.url,
            "SLAENGINE_INSTANCE": tempfile.mkdtemp(),
            "SWEEP_INTERVAL_SECONDS": "5",
        }
    )
    scheduler = build_scheduler(database, settings, blocking=False)
    scheduler.start()
    time.sleep(seconds)
    scheduler.shutdown(wait=True)
    with database.session() as session:
        lags = [
            (fired - due).total_seconds()
            for fired, due in session.execute(
                select(SlaFiring.fired_at, SlaFiring.due_at).where(
                    SlaFiring.ticket_id.in_(ids),
                    SlaFiring.metric == "expert_engaged",
                    SlaFiring.kind == "breach",
                )
            )
        ]
    assert len(lags) == len(ids), f"only {len(lags)} of {len(ids)} fired"
    return max(lags)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
