"""Customers, organizations and staff users."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from slaengine.errors import Conflict, InvalidInput
from slaengine.models import ACCOUNT_TIERS, REGIONS, ROLES, Customer, Organization, User

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "es", "de", "fr", "zh", "ja")


def normalize_email(address: str, *, field: str = "email") -> str:
    """Check an address's syntax and return it in lower case.

    :raises InvalidInput: naming ``field`` when the address is malformed.
    """
    try:
        result = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(
            f"{field}: {address!r} is not a valid email address: {exc}", field=field
        ) from None
    return result.normalized.lower()


def check_language(language: str | None, *, field: str = "language") -> str | None:
    if language is None:
        return None
    if language not in LANGUAGES:
        raise InvalidInput(
            f"{field}: unknown language {language!r} (one of {', '.join(LANGUAGES)})",
            field=field,
        )
    return language


def find_organization(session: Session, name: str) -> Organization | None:
    return session.scalar(
        select(Organization).where(
            func.lower(Organization.name) == name.strip().lower()
        )
    )


def organization_for_email(session: Session, email: str) -> Organization | None:
    """The organization whose email domain matches the address, if any."""
    domain = email.rpartition("@")[2].lower()
    return session.scalar(
        select(Organization).where(Organization.email_domain == domain)
    )


def create_organization(
    session: Session,
    *,
    name: str,
    account_tier: str = "standard",
    region: str | None = None,
    country: str | None = None,
    subdivision: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
    email_domain: str | None = None,
) -> Organization:
    if not name.strip():
        raise InvalidInput("name: an organization needs a name", field="name")
    if account_tier not in ACCOUNT_TIERS:
        raise InvalidInput(
            f"account_tier: unknown account tier {account_tier!r} "
            f"(one of {', '.join(ACCOUNT_TIERS)})",
            field="account_tier",
        )
    if region is not None and region not in REGIONS:
        raise InvalidInput(f"region: unknown region {region!r}", field="region")
    if find_organization(session, name):
        raise Conflict(f"an organization named {name!r} already exists")
    organization = Organization(
        name=name.strip(),
        account_tier=account_tier,
        region=region,
        country=country,
        subdivision=subdivision,
        timezone=timezone,
        language=check_language(language),
        email_domain=email_domain.lower() if email_domain else None,
    )
    session.add(organization)
    session.flush()
    return organization


def find_customer(session: Session, email: str) -> Customer | None:
    return session.scalar(
        select(Customer).where(Customer.email == email.strip().lower())
    )


def get_or_create_customer(
    session: Session,
    *,
    email: str,
    name: str = "",
    organization: Organization | None = None,
    language: str | None = None,
) -> Customer:
    """The customer with this address, created on first contact.

    A new customer joins ``organization``, or else the organization whose
    email domain matches the address.
    """
    address = normalize_email(email)
    customer = find_customer(session, address)
    if customer is not None:
        if organization is not None and customer.organization_id is None:
            customer.organization = organization
        return customer
    customer = Customer(
        email=address,
        name=name.strip() or address.partition("@")[0],
        organization=organization or organization_for_email(session, address),
        language=check_language(language),
    )
    session.add(customer)
    session.flush()
    return customer


def _check_staff_fields(
    role: str, center: str | None, tier: int | None, languages: Iterable[str]
) -> list[str]:
    from slaengine.routing.centers import default_centers

    if role not in ROLES:
        raise InvalidInput(
            f"role: unknown role {role!r} (one of {', '.join(ROLES)})", field="role"
        )
    if center is not None and center not in default_centers():
        raise InvalidInput(
            f"center: unknown center {center!r} "
            f"(one of {', '.join(default_centers())})",
            field="center",
        )
    if tier is not None and tier not in (1, 2, 3):
        raise InvalidInput(f"tier: must be 1, 2 or 3, got {tier!r}", field="tier")
    return [check_language(code, field="languages") or "" for code in languages]


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str = "agent",
    center: str | None = None,
    tier: int | None = None,
    languages: Iterable[str] = ("en",),
    timezone: str | None = None,
) -> User:
    """Create a staff account.

    :raises InvalidInput: for a malformed address, short password, unknown
        role, center, tier or language.
    :raises Conflict: when the address already has an account.
    """
    address = normalize_email(email)
    if not name.strip():
        raise InvalidInput("name: a user needs a name", field="name")
    if len(password) < 8:
        raise InvalidInput("password: must be at least 8 characters", field="password")
    codes = _check_staff_fields(role, center, tier, languages)
    if session.scalar(select(User).where(User.email == address)):
        raise Conflict(f"a user with email {address!r} already exists")
    user = User(
        email=address,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        role=role,
        center=center,
        tier=tier,
        languages=codes,
        timezone=timezone,
    )
    session.add(user)
    session.flush()
    logger.info("event=user.created user=%s role=%s center=%s", address, role, center)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        return None
    return user if check_password_hash(user.password_hash, password) else None
