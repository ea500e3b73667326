"""The sweep fires each due event exactly once: concurrently, after a
crash, and after downtime."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from slaengine import tickets as ticket_service
from slaengine.db import Database
from slaengine.migrate import rebuild
from slaengine.models import OutboxMessage, SlaFiring, Ticket, TicketEvent
from slaengine.people import create_organization, create_user
from slaengine.sla.sweep import due_tickets_query, run_sweep, sweep_batch
from tests.timepoints import utc

START = utc(2026, 12, 2, 15, 0)  # Wed; critical tickets run 24x7


def open_critical_tickets(database, count, *, start=START):
    """``count`` critical tickets created at ``start``, committed."""
    with database.session() as session:
        org = create_organization(
            session,
            name="Rheinwerk",
            region="emea",
            account_tier="standard",
            email_domain="rw.example",
        )
        create_user(
            session,
            email="lead@support.example",
            name="Lead",
            password="long enough",
            role="lead",
            center="emea",
            tier=2,
        )
        for n in range(count):
            ticket_service.create_ticket(
                session,
                subject=f"Outage {n}",
                description="Down",
                priority="critical",
                requester_email=f"user{n}@rw.example",
                organization=org,
                now=start,
            )


def totals(database):
    with database.session() as session:
        return {
            "firings": session.scalar(
                select(func.count(SlaFiring.id)).where(SlaFiring.metric != "escalation")
            ),  # escalations: tests/routing
            "events": session.scalar(
                select(func.count(TicketEvent.id)).where(
                    TicketEvent.kind.in_(("sla.warning", "sla.breached"))
                )
            ),
            "mails": session.scalar(select(func.count(OutboxMessage.id))),
            "late": session.scalar(
                select(func.count(SlaFiring.id)).where(
                    SlaFiring.late, SlaFiring.metric != "escalation"
                )
            ),
        }


def test_downtime_then_catch_up_fires_everything_once_marked_late(database):
    open_critical_tickets(database, 20)
    # The engine was down from 15:00 to 16:00; at 16:00 the acknowledge (15:15),
    # expert engaged (15:30) warnings and breaches are all overdue: 4 per ticket.
    result = run_sweep(database, now=START + timedelta(hours=1), batch_size=7)
    assert result.tickets == 20
    assert totals(database) == {"firings": 80, "events": 80, "mails": 80, "late": 80}
    with database.session() as session:
        event = session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "sla.breached")
        ).first()
        assert event.at == START + timedelta(hours=1)
        assert event.data["due_at"] in (
            "2026-12-02T15:15:00+00:00",
            "2026-12-02T15:30:00+00:00",
        )
        assert event.data["late"] is True

    again = run_sweep(database, now=START + timedelta(hours=1), batch_size=7)
    assert again.tickets == 0
    assert totals(database)["firings"] == 80


def test_a_sweep_killed_before_commit_leaves_nothing_half_done(database):
    open_critical_tickets(database, 5)
    at = START + timedelta(minutes=20)

    class Killed(Exception):
        pass

    fired = []

    def sweep_then_die():
        with database.session() as session:
            fired.append(sweep_batch(session, now=at).firings)
            raise Killed  # the process dies between firing and committing

    with pytest.raises(Killed):
        sweep_then_die()
    # 15:20: acknowledge's warning (15:11:15) and breach (15:15) per ticket.
    assert fired == [10]

    assert totals(database) == {"firings": 0, "events": 0, "mails": 0, "late": 0}
    assert run_sweep(database, now=at).firings == 10
    assert totals(database)["events"] == 10


def test_sweep_does_not_move_the_ticket_version(database):
    open_critical_tickets(database, 1)
    with database.session() as session:
        version = session.scalar(select(Ticket.version))
    run_sweep(database, now=START + timedelta(minutes=20))
    with database.session() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.version == version
        assert ticket.next_deadline_at == START + timedelta(minutes=22, seconds=30)


@pytest.mark.parametrize("workers", [2, 4])
def test_parallel_sweeps_on_postgresql_fire_each_event_once(postgres_database, workers):
    open_critical_tickets(postgres_database, 120)
    at = START + timedelta(minutes=40)
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(run_sweep(postgres_database, now=at, batch_size=10))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.tickets for r in results) == 120  # SKIP LOCKED: no ticket twice
    # Acknowledge and expert engaged, warning and breach: 4 per ticket.
    assert totals(postgres_database) == {
        "firings": 480,
        "events": 480,
        "mails": 480,
        "late": 480,
    }


def test_one_sweep_with_several_workers_takes_each_ticket_once(
    postgres_database, caplog
):
    open_critical_tickets(postgres_database, 120)
    caplog.set_level("INFO", logger="slaengine.sla.firing")

    result = run_sweep(
        postgres_database, now=START + timedelta(minutes=40), batch_size=10, workers=3
    )

    assert result.tickets == 120
    assert result.firings == 480
    assert totals(postgres_database) == {
        "firings": 480,
        "events": 480,
        "mails": 480,
        "late": 480,
    }
    workers = {r.threadName for r in caplog.records if r.name == "slaengine.sla.firing"}
    assert len(workers) > 1, workers


def test_sqlite_sweeps_with_one_worker_whatever_is_asked(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'one-writer.db'}")
    rebuild(database.url)
    open_critical_tickets(database, 30)

    result = run_sweep(
        database, now=START + timedelta(minutes=40), batch_size=10, workers=4
    )

    assert (result.tickets, result.firings) == (30, 120)
    assert totals(database)["mails"] == 120


def test_due_lookup_uses_the_next_deadline_index(database):
    open_critical_tickets(database, 3)
    with database.session() as session:
        query = due_tickets_query(START, 500, skip_locked=False)
        compiled = query.compile(
            session.get_bind(), compile_kwargs={"literal_binds": True}
        )
        dialect = session.get_bind().dialect.name
        explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        if dialect == "postgresql":
            # Three rows are cheaper to scan; ask whether the index can serve.
            session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(
            str(row) for row in session.execute(text(explain + str(compiled)))
        )
    assert "ix_ticket_deadline_next_deadline_at" in plan
