"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-04 07:08:51.455084
"""

import sqlalchemy as sa
from alembic import op

import slaengine.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_tier", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("subdivision", sa.String(length=10), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("email_domain", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "account_tier IN ('strategic', 'enterprise', 'premium', 'standard')",
            name=op.f("ck_organization_account_tier"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("name", name=op.f("uq_organization_name")),
    )
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_email_domain"), ["email_domain"], unique=False
        )

    op.create_table(
        "scheduler_run",
        sa.Column("job_id", sa.String(length=50), nullable=False),
        sa.Column(
            "last_started_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "last_finished_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_scheduler_run")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("center", sa.String(length=20), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column(
            "locked_until", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "role IN ('agent', 'lead', 'manager', 'executive', 'admin')",
            name=op.f("ck_user_account_role"),
        ),
        sa.CheckConstraint(
            "tier IS NULL OR tier BETWEEN 1 AND 3", name=op.f("ck_user_account_tier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_used_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "revoked_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_api_token_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("is_organization_contact", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_customer_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("email", name=op.f("uq_customer_email")),
    )
    op.create_table(
        "shift_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "starts_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ends_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "kind IN ('on_call', 'time_off')", name=op.f("ck_shift_override_kind")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shift_override_span")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_shift_override_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_override")),
    )
    with op.batch_alter_table("shift_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shift_override_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("center", sa.String(length=20), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("escalated_to_executives", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("product_area", sa.String(length=100), nullable=True),
        sa.Column("follow_up_of_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "solved_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "closed_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "next_deadline_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "priority IN ('critical', 'high', 'medium', 'low')",
            name=op.f("ck_ticket_priority"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')",
            name=op.f("ck_ticket_status"),
        ),
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name=op.f("ck_ticket_tier")),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["user_account.id"],
            name=op.f("fk_ticket_assignee_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_of_id"],
            ["ticket.id"],
            name=op.f("fk_ticket_follow_up_of_id_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_ticket_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["customer.id"],
            name=op.f("fk_ticket_requester_id_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_next_deadline_at"), ["next_deadline_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_queue", ["center", "tier", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_status"), ["status"], unique=False)

    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("email_message_id", sa.String(length=998), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column(
            "received_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "processed_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "status IN ('received', 'processed', 'set_aside', 'failed')",
            name=op.f("ck_inbound_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_inbound_message_ticket_id_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint(
            "email_message_id", name=op.f("uq_inbound_message_email_message_id")
        ),
        sa.UniqueConstraint("sha256", name=op.f("uq_inbound_message_sha256")),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("author_type", sa.String(length=20), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_customer_id", sa.Integer(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("email_message_id", sa.String(length=998), nullable=True),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "author_type IN ('customer', 'agent', 'system')",
            name=op.f("ck_message_author"),
        ),
        sa.ForeignKeyConstraint(
            ["author_customer_id"],
            ["customer.id"],
            name=op.f("fk_message_author_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_message_author_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_message_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_email_message_id"),
            ["email_message_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_message_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=1000), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "sent_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint("kind IN ('email', 'webhook')", name=op.f("ck_outbox_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_outbox_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "portal_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "revoked_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_portal_link_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_portal_link_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_link_token_hash")),
    )
    with op.batch_alter_table("portal_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_link_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_link_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "satisfaction_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "rating IN ('good', 'bad')", name=op.f("ck_satisfaction_rating_rating")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_satisfaction_rating_ticket_id_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_rating")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_satisfaction_rating_ticket_id")),
    )
    op.create_table(
        "sla_firing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column(
            "due_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "fired_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_sla_firing_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_firing")),
        sa.UniqueConstraint(
            "ticket_id",
            "metric",
            "cycle",
            "kind",
            name=op.f("uq_sla_firing_ticket_id_metric_cycle_kind"),
        ),
    )
    op.create_table(
        "sla_timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("calendar", sa.String(length=50), nullable=False),
        sa.Column("target_minutes", sa.Float(), nullable=False),
        sa.Column(
            "started_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("due_at", slaengine.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "warn_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("met_at", slaengine.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "breached_at", slaengine.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("used_minutes", sa.Float(), nullable=False),
        sa.Column(
            "warning_fired_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "breach_fired_at",
            slaengine.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "state IN ('running', 'paused', 'met', 'breached')",
            name=op.f("ck_sla_timer_state"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_sla_timer_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_timer")),
        sa.UniqueConstraint(
            "ticket_id", "metric", name=op.f("uq_sla_timer_ticket_id_metric")
        ),
    )
    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", slaengine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_event_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_event")),
    )
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_event_ticket_at", ["ticket_id", "at"], unique=False
        )

    op.create_table(
        "ticket_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_ticket_participant_ticket_id_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_participant")),
        sa.UniqueConstraint(
            "ticket_id", "email", name=op.f("uq_ticket_participant_ticket_id_email")
        ),
    )
    op.create_table(
        "ticket_viewer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "seen_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_viewer_ticket_id_ticket")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_ticket_viewer_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_viewer")),
        sa.UniqueConstraint(
            "ticket_id", "user_id", name=op.f("uq_ticket_viewer_ticket_id_user_id")
        ),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("inline", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", slaengine.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_attachment_message_id_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_attachment_sha256"), ["sha256"], unique=False
        )

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", slaengine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_webhook_delivery_outbox_id_outbox"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_webhook"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_outbox_id"), ["outbox_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_webhook_id"), ["webhook_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_webhook_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_outbox_id"))

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachment_message_id"))

    op.drop_table("attachment")
    op.drop_table("ticket_viewer")
    op.drop_table("ticket_participant")
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_event_ticket_at")

    op.drop_table("ticket_event")
    op.drop_table("sla_timer")
    op.drop_table("sla_firing")
    op.drop_table("satisfaction_rating")
    with op.batch_alter_table("portal_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_link_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_portal_link_customer_id"))

    op.drop_table("portal_link")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_ticket_id"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_message_email_message_id"))

    op.drop_table("message")
    op.drop_table("inbound_message")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_status"))
        batch_op.drop_index(batch_op.f("ix_ticket_requester_id"))
        batch_op.drop_index("ix_ticket_queue")
        batch_op.drop_index(batch_op.f("ix_ticket_organization_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_next_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_ticket_assignee_id"))

    op.drop_table("ticket")
    with op.batch_alter_table("shift_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_override_user_id"))

    op.drop_table("shift_override")
    op.drop_table("customer")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    op.drop_table("webhook")
    op.drop_table("user_account")
    op.drop_table("scheduler_run")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_email_domain"))

    op.drop_table("organization")
