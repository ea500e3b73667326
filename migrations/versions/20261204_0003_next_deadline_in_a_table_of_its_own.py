"""next deadline in a table of its own

The sweep rewrites every due ticket's next deadline. As an indexed column of
the wide ``ticket`` row, each rewrite was a new ticket row with an entry in
every index of ``ticket``; a narrow ``ticket_deadline`` row has two.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import slaengine.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_deadline",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column(
            "next_deadline_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_ticket_deadline_ticket_id_ticket"),
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_deadline")),
    )
    op.execute(
        "INSERT INTO ticket_deadline (ticket_id, next_deadline_at) "
        "SELECT id, next_deadline_at FROM ticket"
    )
    with op.batch_alter_table("ticket_deadline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_deadline_next_deadline_at",
            ["next_deadline_at", "ticket_id"],
            unique=False,
        )

    # In place on SQLite too: copying ``ticket`` would trip the foreign keys
    # that point at it.
    with op.batch_alter_table("ticket", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_ticket_next_deadline_at")
        batch_op.drop_column("next_deadline_at")


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "next_deadline_at",
                slaengine.models.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    op.execute(
        "UPDATE ticket SET next_deadline_at = ("
        "SELECT next_deadline_at FROM ticket_deadline "
        "WHERE ticket_deadline.ticket_id = ticket.id)"
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_next_deadline_at", ["next_deadline_at", "id"], unique=False
        )

    with op.batch_alter_table("ticket_deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_deadline_next_deadline_at")

    op.drop_table("ticket_deadline")
