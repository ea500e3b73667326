"""The data model: tickets, the people around them, their SLA timers.

Every instant is stored as an aware UTC datetime (``DateTime(timezone=True)``);
SQLite keeps no zone, so :class:`UTCDateTime` re-attaches UTC on the way out.
Timestamps come from :func:`slaengine.clock.utcnow`, never from the database,
so that a frozen clock in tests freezes them too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    column_property,
    mapped_column,
    relationship,
)

from slaengine.clock import utcnow

PRIORITIES = ("critical", "high", "medium", "low")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
ACCOUNT_TIERS = ("strategic", "enterprise", "premium", "standard")
REGIONS = ("americas", "emea", "apac")
ROLES = ("agent", "lead", "manager", "executive", "admin")
CHANNELS = ("web", "email", "api", "agent", "phone")
TIMER_STATES = ("running", "paused", "met", "breached")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every database, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(_in("account_tier", ACCOUNT_TIERS), name="account_tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    account_tier: Mapped[str] = mapped_column(String(20), default="standard")
    region: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    email_domain: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customers: Mapped[list[Customer]] = relationship(back_populates="organization")


class Customer(Base):
    """Someone who asks for help. The email is stored in lower case."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_organization_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization | None] = relationship(back_populates="customers")


class User(Base):
    """A member of staff. The email is stored in lower case."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("tier IS NULL OR tier BETWEEN 1 AND 3", name="tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    center: Mapped[str | None] = mapped_column(String(20))
    tier: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketDeadline(Base):
    """The instant at which a ticket next has a warning, breach or rule to fire.

    A narrow table of its own, read as ``Ticket.next_deadline_at``: the
    sweep rewrites it for every due ticket, and an indexed column of the
    wide ``ticket`` row made each rewrite a new ticket row with an entry in
    each of its indexes. Written only by
    :func:`slaengine.sla.store_next_deadlines`, first when the ticket is
    created, so every ticket has one and queries join it (an inner join
    lets the database walk the index in deadline order).
    """

    __tablename__ = "ticket_deadline"
    __table_args__ = (
        # The sweep's due lookup and the queues' deadline order, ties by id.
        Index("ix_ticket_deadline_next_deadline_at", "next_deadline_at", "ticket_id"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    next_deadline_at: Mapped[datetime | None]


class Ticket(Base):
    """A customer's request and the commitments the SLA makes about it."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint("tier BETWEEN 1 AND 3", name="tier"),
        Index("ix_ticket_queue", "center", "tier", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    priority: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="web")
    language: Mapped[str] = mapped_column(String(8), default="en")
    requester_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), index=True
    )
    center: Mapped[str | None] = mapped_column(String(20))
    tier: Mapped[int] = mapped_column(Integer, default=1)
    escalated_to_executives: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    product_area: Mapped[str | None] = mapped_column(String(100))
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    solved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Read-only here; queries that filter or sort on it join TicketDeadline.
    next_deadline_at: Mapped[datetime | None] = column_property(
        select(TicketDeadline.next_deadline_at)
        .where(TicketDeadline.ticket_id == id)
        .correlate_except(TicketDeadline)
        .scalar_subquery()
    )

    requester: Mapped[Customer] = relationship()
    organization: Mapped[Organization | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id"
    )
    timers: Mapped[list[SlaTimer]] = relationship(
        back_populates="ticket", order_by="SlaTimer.id"
    )

    # The ticket service moves the version once per change (see
    # slaengine.tickets); every UPDATE still checks the version it read.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def reference(self) -> str:
        return f"#{self.id}"


class Message(Base):
    """One entry of a ticket's conversation: a public reply or an internal note."""

    __tablename__ = "message"
    __table_args__ = (
        # The per-sender rate limit on inbound mail counts recent messages.
        Index("ix_message_author_customer_created", "author_customer_id", "created_at"),
        CheckConstraint(
            _in("author_type", ("customer", "agent", "system")), name="author"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    author_type: Mapped[str] = mapped_column(String(20))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20), default="web")
    email_message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author_user: Mapped[User | None] = relationship()
    author_customer: Mapped[Customer | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class Attachment(Base):
    """A file sent with a message, stored on disk by its SHA-256."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[Message] = relationship(back_populates="attachments")


class TicketEvent(Base):
    """One change to a ticket: the audit log and the timeline. Append-only."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket_at", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(50))
    field: Mapped[str | None] = mapped_column(String(50))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SlaTimer(Base):
    """A cached view of one SLA commitment on a ticket.

    The truth is the ticket's event log and the policy in force; this row is
    recomputed from them on every change and by the clock's sweep.
    """

    __tablename__ = "sla_timer"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric"),
        # Breaching soon / breached queues: open commitments by due instant.
        Index(
            "ix_sla_timer_unmet_due",
            "due_at",
            sqlite_where=text("met_at IS NULL"),
            postgresql_where=text("met_at IS NULL"),
        ),
        CheckConstraint(_in("state", TIMER_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    metric: Mapped[str] = mapped_column(String(30))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="running")
    calendar: Mapped[str] = mapped_column(String(50))
    target_minutes: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    used_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    warning_fired_at: Mapped[datetime | None]
    breach_fired_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="timers")


class SlaFiring(Base):
    """The record that a warning, breach or escalation happened.

    Its unique key is what makes each one happen exactly once, however many
    sweeps run at the same time.
    """

    __tablename__ = "sla_firing"
    __table_args__ = (UniqueConstraint("ticket_id", "metric", "cycle", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    metric: Mapped[str] = mapped_column(String(30))
    cycle: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxMessage(Base):
    """An email or webhook waiting for delivery, written with its cause."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("kind", ("email", "webhook")), name="kind"),
        CheckConstraint(_in("status", ("pending", "sent", "dead")), name="status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="email")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(String(1000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class InboundMessage(Base):
    """A raw inbound email exactly as received, and what became of it."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        CheckConstraint(
            _in("status", ("received", "processed", "set_aside", "failed")),
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    email_message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="received")
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class SchedulerRun(Base):
    """When each scheduler job last ran: the scheduler's heartbeat."""

    __tablename__ = "scheduler_run"

    job_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class PortalLink(Base):
    """A customer's private link to one ticket; only its SHA-256 is stored."""

    __tablename__ = "portal_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SatisfactionRating(Base):
    """The customer's verdict on a solved ticket: good or bad, and why."""

    __tablename__ = "satisfaction_rating"
    __table_args__ = (CheckConstraint(_in("rating", ("good", "bad")), name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    rating: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketParticipant(Base):
    """Someone besides the requester who takes part in a ticket (email Cc)."""

    __tablename__ = "ticket_participant"
    __table_args__ = (UniqueConstraint("ticket_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketViewer(Base):
    """Which staff member has a ticket open right now (refreshed by the page)."""

    __tablename__ = "ticket_viewer"
    __table_args__ = (UniqueConstraint("ticket_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    seen_at: Mapped[datetime]


class ShiftOverride(Base):
    """A change to an agent's shift: on call outside hours, or time off."""

    __tablename__ = "shift_override"
    __table_args__ = (
        CheckConstraint(_in("kind", ("on_call", "time_off")), name="kind"),
        CheckConstraint("ends_at > starts_at", name="span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200), default="")


class Webhook(Base):
    """An administrator's subscription: POST these events to this URL."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One attempt to deliver an outbox webhook: the delivery log."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
