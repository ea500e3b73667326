"""indexes for queues, the sweep and the mail rate limit

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 08:07:03.920837
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_author_customer_created",
            ["author_customer_id", "created_at"],
            unique=False,
        )

    with op.batch_alter_table("sla_timer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_timer_unmet_due",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text("met_at IS NULL"),
            postgresql_where=sa.text("met_at IS NULL"),
        )

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_next_deadline_at"))
        batch_op.create_index(
            "ix_ticket_next_deadline_at", ["next_deadline_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_next_deadline_at")
        batch_op.create_index(
            batch_op.f("ix_ticket_next_deadline_at"), ["next_deadline_at"], unique=False
        )

    with op.batch_alter_table("sla_timer", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_sla_timer_unmet_due",
            sqlite_where=sa.text("met_at IS NULL"),
            postgresql_where=sa.text("met_at IS NULL"),
        )

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_author_customer_created")
