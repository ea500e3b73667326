"""The schema changes only through migrations, and they match the models."""

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    column,
    delete,
    insert,
    inspect,
    select,
    table,
)

from slaengine.db import make_engine
from slaengine.migrate import alembic_config, downgrade, upgrade
from slaengine.models import Base, Customer, TicketDeadline, UTCDateTime


def test_migrations_have_a_single_head(database_url):
    script = ScriptDirectory.from_config(alembic_config(database_url))
    assert len(script.get_heads()) == 1


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_upgrade_again(database, database_url):
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(database_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def _ticket_at_0002():
    """``ticket`` as revision 0002 left it, with its ``next_deadline_at``."""
    return table(
        "ticket",
        column("id", Integer),
        column("subject", String),
        column("status", String),
        column("priority", String),
        column("channel", String),
        column("language", String),
        column("requester_id", Integer),
        column("tier", Integer),
        column("escalated_to_executives", Boolean),
        column("tags", JSON),
        column("created_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
        column("next_deadline_at", UTCDateTime()),
        column("version", Integer),
    )


def test_next_deadlines_move_to_their_own_table_and_back(database, database_url):
    """Revision 0003 carries every ticket's next deadline over, and back."""
    due = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    tickets = _ticket_at_0002()
    engine = make_engine(database_url)
    downgrade(database_url, "0002")
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(Customer),
                [{"id": 1, "email": "c@example.com", "created_at": due}],
            )
            connection.execute(
                insert(tickets),
                [
                    {
                        "id": n,
                        "subject": "Printer on fire",
                        "status": "open",
                        "priority": "high",
                        "channel": "web",
                        "language": "en",
                        "requester_id": 1,
                        "tier": 1,
                        "escalated_to_executives": False,
                        "tags": [],
                        "created_at": due,
                        "updated_at": due,
                        "next_deadline_at": deadline,
                        "version": 1,
                    }
                    for n, deadline in ((1, due), (2, None))
                ],
            )
        upgrade(database_url)
        with engine.connect() as connection:
            moved = connection.execute(
                select(TicketDeadline.ticket_id, TicketDeadline.next_deadline_at)
            )
            assert sorted(moved) == [(1, due), (2, None)]
        downgrade(database_url, "0002")
        with engine.connect() as connection:
            back = connection.execute(
                select(tickets.c.id, tickets.c.next_deadline_at).order_by(tickets.c.id)
            )
            assert list(back) == [(1, due), (2, None)]
            assert "ix_ticket_next_deadline_at" in {
                index["name"] for index in inspect(connection).get_indexes("ticket")
            }
    finally:
        with engine.begin() as connection:
            connection.execute(delete(tickets))
            connection.execute(delete(Customer))
        upgrade(database_url)
        engine.dispose()
