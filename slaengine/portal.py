"""The customer portal: the public request form and private ticket links.

A customer needs no account. Submitting the form opens a ticket and mails a
private link; the link is a random token signed with the secret key, and only
its SHA-256 is stored (:class:`~slaengine.models.PortalLink`), so a copy of the
database does not give anyone access. A link expires after a configurable
lifetime, can be revoked, and a fresh one can be asked for by email address;
the answer never says whether the address has tickets.

A link names one customer and opens that customer's tickets (and, for an
organization's designated contact, the organization's). Anything else is
:class:`~slaengine.errors.NotFound`, the same as a ticket that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from slaengine import attachments, escalation, tickets
from slaengine.commitments import acknowledgement_promise
from slaengine.errors import InvalidInput, NotFound
from slaengine.events import Actor, record_event
from slaengine.models import Attachment, Customer, Message, PortalLink, Ticket
from slaengine.outbox import enqueue_email
from slaengine.people import (
    LANGUAGES,
    find_customer,
    normalize_email,
    organization_for_email,
)

logger = logging.getLogger(__name__)

# Impact levels in the customer's words, and the priority each one means.
IMPACTS = {
    "production_down": ("Production down", "critical"),
    "degraded": ("Significant degradation", "high"),
    "minor": ("Minor issue", "medium"),
    "question": ("Question or request", "low"),
}
PRODUCT_AREAS = {
    "web_app": "Web application",
    "api": "API and integrations",
    "mobile": "Mobile apps",
    "data": "Data and reporting",
    "security": "Security and sign-in",
    "billing": "Billing and accounts",
    "other": "Something else",
}
LIMITS = {"name": 200, "organization": 200, "subject": 200, "description": 20_000}
LinkUrl = Callable[[str], str]


class LinkExpired(NotFound):
    """A genuine link whose lifetime is over: the customer may ask again."""


class InvalidForm(InvalidInput):
    """Several fields at once are wrong; ``errors`` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "; ".join(f"{k}: {v}" for k, v in errors.items()), field=next(iter(errors))
        )
        self.errors = errors


@dataclass(frozen=True)
class PortalSettings:
    """What the portal needs from the deployment."""

    secret_key: str
    attachment_folder: Path
    link_lifetime: timedelta = timedelta(days=30)
    limits: attachments.Limits = field(default_factory=attachments.Limits)


@dataclass(frozen=True)
class RequestForm:
    """The public form, as typed."""

    name: str = ""
    email: str = ""
    organization: str = ""
    language: str = "en"
    impact: str = ""
    product_area: str = ""
    subject: str = ""
    description: str = ""


@dataclass(frozen=True)
class PortalAccess:
    """A link that opened, and the ticket it was used for."""

    link: PortalLink
    customer: Customer
    ticket: Ticket


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    token: str
    promise: str


# -- links -----------------------------------------------------------------


def _signature(secret_key: str, nonce: str) -> str:
    mac = hmac.new(secret_key.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_signed(token: str, secret_key: str) -> bool:
    """Whether ``token`` carries our signature (checked before any query)."""
    nonce, dot, signature = token.partition(".")
    if not dot or not nonce or len(token) > 200:
        return False
    return hmac.compare_digest(signature, _signature(secret_key, nonce))


def issue_link(
    session: Session,
    ticket: Ticket,
    customer: Customer,
    *,
    settings: PortalSettings,
    now: datetime,
) -> str:
    """Create a private link to ``ticket`` for ``customer``; return its token.

    The token is shown once (in the email and the confirmation page); only
    its hash is stored.
    """
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{_signature(settings.secret_key, nonce)}"
    session.add(
        PortalLink(
            ticket_id=ticket.id,
            customer_id=customer.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + settings.link_lifetime,
        )
    )
    session.flush()
    return token


def find_link(
    session: Session, token: str, *, secret_key: str, now: datetime
) -> PortalLink:
    """The live link for ``token``.

    :raises NotFound: for a forged, tampered, unknown or revoked token.
    :raises LinkExpired: for a genuine link past its lifetime.
    """
    if not is_signed(token, secret_key):
        raise NotFound("this link is not valid")
    link = session.scalar(
        select(PortalLink).where(PortalLink.token_hash == hash_token(token))
    )
    if link is None or link.revoked_at is not None:
        raise NotFound("this link is not valid")
    if link.expires_at <= now:
        raise LinkExpired("this link has expired")
    return link


def revoke_link(
    session: Session, token: str, *, secret_key: str, now: datetime
) -> None:
    """Revoke the link for ``token`` (a no-op if it is already revoked)."""
    link = session.scalar(
        select(PortalLink).where(PortalLink.token_hash == hash_token(token))
    )
    if link is None or not is_signed(token, secret_key):
        raise NotFound("this link is not valid")
    if link.revoked_at is None:
        link.revoked_at = now
        logger.info(
            "event=portal.link_revoked link=%s ticket=%s", link.id, link.ticket_id
        )


def revoke_ticket_links(session: Session, ticket: Ticket, *, now: datetime) -> int:
    """Revoke every live link to ``ticket``; return how many."""
    links = session.scalars(
        select(PortalLink).where(
            PortalLink.ticket_id == ticket.id, PortalLink.revoked_at.is_(None)
        )
    ).all()
    for link in links:
        link.revoked_at = now
    return len(links)


def can_see(customer: Customer, ticket: Ticket) -> bool:
    """A customer sees their own tickets; a designated contact, the organization's."""
    if ticket.requester_id == customer.id:
        return True
    return bool(
        customer.is_organization_contact
        and customer.organization_id is not None
        and ticket.organization_id == customer.organization_id
    )


def visible_tickets(
    session: Session, customer: Customer, *, limit: int = 50
) -> list[Ticket]:
    """The tickets ``customer`` may open, newest first."""
    condition = Ticket.requester_id == customer.id
    if customer.is_organization_contact and customer.organization_id is not None:
        condition = or_(condition, Ticket.organization_id == customer.organization_id)
    query = select(Ticket).where(condition).order_by(Ticket.id.desc()).limit(limit)
    return list(session.scalars(query))


def open_ticket(
    session: Session,
    token: str,
    ticket_id: int | None = None,
    *,
    secret_key: str,
    now: datetime,
) -> PortalAccess:
    """Open ``ticket_id`` (default: the link's own ticket) through a link.

    :raises NotFound: for a bad link or a ticket the link's customer may not
        see; the message is the same as for a ticket that does not exist.
    :raises LinkExpired: for an expired link.
    """
    link = find_link(session, token, secret_key=secret_key, now=now)
    customer = session.get(Customer, link.customer_id)
    ticket = session.get(Ticket, ticket_id if ticket_id is not None else link.ticket_id)
    if customer is None or ticket is None or not can_see(customer, ticket):
        raise NotFound("there is no such ticket")
    return PortalAccess(link=link, customer=customer, ticket=ticket)


# -- the public form -------------------------------------------------------


def _text(
    errors: dict[str, str],
    name: str,
    value: str,
    *,
    required: bool = True,
    plain: bool = False,
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[name] = "This field is required."
    elif len(text) > LIMITS[name]:
        errors[name] = f"Keep this under {LIMITS[name]} characters."
    elif plain and ("<" in text or ">" in text):
        errors[name] = "Please leave out the characters < and >."
    return text


def check_form(form: RequestForm) -> RequestForm:
    """Check every field; return the cleaned form.

    :raises InvalidForm: with one message per wrong field.
    """
    errors: dict[str, str] = {}
    name = _text(errors, "name", form.name, plain=True)
    organization = _text(
        errors, "organization", form.organization, required=False, plain=True
    )
    subject = _text(errors, "subject", form.subject)
    description = _text(errors, "description", form.description)
    email = (form.email or "").strip()
    if not email:
        errors["email"] = "This field is required."
    else:
        try:
            email = normalize_email(email)
        except InvalidInput:
            errors["email"] = "Enter an email address like name@example.com."
    if form.impact not in IMPACTS:
        errors["impact"] = "Choose how much this affects you."
    if form.product_area not in PRODUCT_AREAS:
        errors["product_area"] = "Choose the product area."
    if form.language not in LANGUAGES:
        errors["language"] = "Choose a language we support."
    if errors:
        order = list(RequestForm.__dataclass_fields__)
        raise InvalidForm(dict(sorted(errors.items(), key=lambda i: order.index(i[0]))))
    return RequestForm(
        name=name,
        email=email,
        organization=organization,
        language=form.language,
        impact=form.impact,
        product_area=form.product_area,
        subject=subject,
        description=description,
    )


# TODO: portal emails are written in English only; the ticket's language is
# not used for them yet (the pages are translated, see web/portal/i18n.py).
def confirmation_body(
    ticket: Ticket, *, promise: str, url: str, expires_at: datetime
) -> str:
    impact = next((label for label, p in IMPACTS.values() if p == ticket.priority), "")
    return (
        f"Hello {ticket.requester.name},\n\n"
        f"We have received your request and opened ticket {ticket.reference}:\n"
        f"  {ticket.subject}\n\n"
        f"Priority: {ticket.priority} ({impact.lower()})\n"
        f"Our commitment: {promise}.\n\n"
        "Follow your ticket, reply, add files or ask for escalation here.\n"
        "This link is private to you; please do not share it:\n"
        f"  {url}\n\n"
        f"The link works until {expires_at:%d %B %Y} (UTC). After that you can "
        "ask for a new one with your email address on our support page.\n\n"
        "Thank you,\nCustomer Support\n"
    )


def link_url_under(public_url: str) -> LinkUrl:
    """Private link addresses under ``public_url`` (the ``PUBLIC_URL``
    setting), for mail written outside a web request. The web app serves
    them at ``/t/<token>``; in a request it builds them itself."""
    return lambda token: f"{public_url}/t/{token}"


def confirm_new_ticket(
    session: Session,
    ticket: Ticket,
    *,
    settings: PortalSettings,
    link_url: LinkUrl,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Mail the requester of a new ticket its reference, our commitment and
    a private link to it; return the link's token.

    Once per ticket, whichever way it came in (web form or email).
    :param headers: further headers, e.g. to thread the mail onto the
        customer's own email.
    """
    token = issue_link(session, ticket, ticket.requester, settings=settings, now=now)
    enqueue_email(
        session,
        dedupe_key=f"portal-confirmation:{ticket.id}",
        ticket=ticket,
        recipient=ticket.requester.email,
        subject=f"[{ticket.reference}] We received your request: {ticket.subject}",
        body=confirmation_body(
            ticket,
            promise=acknowledgement_promise(ticket),
            url=link_url(token),
            expires_at=now + settings.link_lifetime,
        ),
        now=now,
        headers={**(headers or {}), "Auto-Submitted": "auto-replied"},
    )
    return token


def submit_request(
    session: Session,
    form: RequestForm,
    uploads: Sequence[attachments.Upload],
    *,
    settings: PortalSettings,
    link_url: LinkUrl,
    now: datetime,
) -> Submission:
    """Open a ticket from the public form, store its files and mail the link.

    The ticket is created on the web channel, routed and its SLA timers
    started by :func:`slaengine.tickets.create_ticket`. The organization is
    the one whose email domain matches the address; a typed organization
    name is kept on the ticket's ``web_form`` event but never chooses an
    account (anyone could type a large customer's name).

    :raises InvalidForm: for wrong fields; nothing is stored.
    :raises InvalidInput: (``attachments``) for refused files; nothing is stored.
    """
    form = check_form(form)
    stored = attachments.store_uploads(
        settings.attachment_folder, uploads, settings.limits
    )
    try:
        return _open_from_form(
            session, form, stored, settings=settings, link_url=link_url, now=now
        )
    except BaseException:
        attachments.remove_files(settings.attachment_folder, stored)
        raise


def _open_from_form(
    session: Session,
    form: RequestForm,
    stored: Sequence[attachments.StoredFile],
    *,
    settings: PortalSettings,
    link_url: LinkUrl,
    now: datetime,
) -> Submission:
    impact_label, priority = IMPACTS[form.impact]
    ticket = tickets.create_ticket(
        session,
        subject=form.subject,
        description=form.description,
        priority=priority,
        requester_email=form.email,
        requester_name=form.name,
        organization=organization_for_email(session, form.email),
        language=form.language,
        channel="web",
        product_area=form.product_area,
        now=now,
    )
    customer = ticket.requester
    record_event(
        session,
        ticket,
        Actor.for_customer(customer),
        "web_form",
        at=now,
        data={
            "impact": form.impact,
            "organization_name": form.organization,
            "files": len(stored),
        },
    )
    attachments.attach(session, ticket.messages[0], stored, now=now)
    token = confirm_new_ticket(
        session, ticket, settings=settings, link_url=link_url, now=now
    )
    promise = acknowledgement_promise(ticket)
    logger.info(
        "event=portal.submitted ticket=%s priority=%s impact=%s files=%s",
        ticket.reference,
        priority,
        form.impact,
        len(stored),
    )
    return Submission(ticket=ticket, token=token, promise=promise)


def resend_links(
    session: Session,
    email: str,
    *,
    settings: PortalSettings,
    link_url: LinkUrl,
    now: datetime,
) -> None:
    """Mail fresh links to the address's tickets that are not closed.

    Says nothing either way: an unknown address, or one without open tickets,
    gets no mail, and the caller shows the same answer in every case.

    :raises InvalidInput: (``email``) for a malformed address.
    """
    address = normalize_email(email or "")
    customer = find_customer(session, address)
    if customer is None:
        return
    open_tickets = [
        t for t in visible_tickets(session, customer, limit=20) if t.status != "closed"
    ]
    if not open_tickets:
        return
    lines = []
    for ticket in open_tickets:
        token = issue_link(session, ticket, customer, settings=settings, now=now)
        lines.append(f"  {ticket.reference} {ticket.subject}\n  {link_url(token)}\n")
    enqueue_email(
        session,
        dedupe_key=f"portal-links:{customer.id}:{now.isoformat()}",
        ticket=None,
        recipient=customer.email,
        subject="Your private links to your support tickets",
        body=(
            f"Hello {customer.name},\n\nYou asked for new links to your tickets. "
            "Each link is private to you; please do not share it.\n\n"
            + "\n".join(lines)
            + f"\nThe links work until {now + settings.link_lifetime:%d %B %Y} (UTC).\n"
            "If you did not ask for this, you can ignore this message.\n"
        ),
        now=now,
        headers={"Auto-Submitted": "auto-generated"},
    )
    logger.info(
        "event=portal.links_resent customer=%s tickets=%s", customer.id, len(lines)
    )


# -- on the ticket page ----------------------------------------------------


@dataclass(frozen=True)
class ReplyResult:
    ticket: Ticket
    message: Message
    new_token: str | None = None


def reply(
    session: Session,
    access: PortalAccess,
    body: str,
    uploads: Sequence[attachments.Upload],
    *,
    settings: PortalSettings,
    link_url: LinkUrl,
    now: datetime,
) -> ReplyResult:
    """The customer answers on the ticket page.

    A reply moves a pending ticket back to open and reopens a solved one
    (see :func:`slaengine.tickets.add_message`). On a closed ticket it opens
    a follow-up linked to it and returns a link to the new ticket.

    :raises InvalidInput: (``body`` or ``attachments``); nothing is stored.
    """
    text = (body or "").strip()
    if not text:
        raise InvalidInput("body: write a message before sending", field="body")
    if len(text) > LIMITS["description"]:
        raise InvalidInput(
            f"body: keep this under {LIMITS['description']} characters", field="body"
        )
    stored = attachments.store_uploads(
        settings.attachment_folder, uploads, settings.limits
    )
    try:
        return _reply(
            session, access, text, stored, settings=settings, link_url=link_url, now=now
        )
    except BaseException:
        attachments.remove_files(settings.attachment_folder, stored)
        raise


def _reply(
    session: Session,
    access: PortalAccess,
    text: str,
    stored: Sequence[attachments.StoredFile],
    *,
    settings: PortalSettings,
    link_url: LinkUrl,
    now: datetime,
) -> ReplyResult:
    ticket, customer = access.ticket, access.customer
    if ticket.status == "closed":
        follow_up = tickets.open_follow_up(
            session, ticket, body=text, customer=customer, channel="web", now=now
        )
        message = follow_up.messages[0]
        attachments.attach(session, message, stored, now=now)
        token = issue_link(session, follow_up, customer, settings=settings, now=now)
        return ReplyResult(ticket=follow_up, message=message, new_token=token)
    message = tickets.add_message(
        session,
        ticket,
        body=text,
        public=True,
        actor=Actor.for_customer(customer),
        channel="web",
        now=now,
    )
    attachments.attach(session, message, stored, now=now)
    return ReplyResult(ticket=ticket, message=message)


def public_messages(ticket: Ticket) -> list[Message]:
    """The conversation a customer may read: internal notes never appear."""
    return [message for message in ticket.messages if message.public]


def request_escalation(
    session: Session, access: PortalAccess, reason: str, *, now: datetime
) -> None:
    """The customer asks for escalation, with a reason.

    Delegates to :func:`slaengine.escalation.request_escalation`, which
    records a ``customer_escalation_request`` event, tells the center's leads
    through the outbox and, where the policy escalates only on request (low
    priority), moves the ticket up a tier.

    :raises InvalidInput: (``reason``) for an empty or overlong reason.
    :raises Conflict: on a solved or closed ticket.
    """
    escalation.request_escalation(
        session, access.ticket, customer=access.customer, reason=reason, now=now
    )
    logger.info("event=portal.escalation_requested ticket=%s", access.ticket.reference)


def find_attachment(access: PortalAccess, attachment_id: int) -> Attachment:
    """An attachment of a public message on the accessed ticket.

    :raises NotFound: for any other attachment, including one on an
        internal note.
    """
    for message in public_messages(access.ticket):
        for attachment in message.attachments:
            if attachment.id == attachment_id:
                return attachment
    raise NotFound("there is no such attachment")
