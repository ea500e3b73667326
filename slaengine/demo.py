"""Demo data: three centers' staff, customers of every size, 200 tickets.

Tickets are replayed through the ticket service with instants in the past,
so their timelines, timers and breaches are what the engine itself would
have recorded. The randomness is seeded: every load gives the same data
relative to the moment it runs.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import pytz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slaengine import escalation, sla
from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.events import Actor
from slaengine.models import User
from slaengine.people import create_organization, create_user, get_or_create_customer
from slaengine.routing import hand_off_due
from slaengine.sla.calendars import calendar_named
from slaengine.sla.sweep import sweep_batch

DEMO_PASSWORD = "slaengine-demo"

STAFF = [
    # (email, name, role, center, tier, languages)
    (
        "cco@example.com",
        "Grace Okafor (Chief Customer Officer)",
        "executive",
        None,
        None,
        "en",
    ),
    (
        "vp.technical@example.com",
        "Henrik Dahl (VP Technical Services)",
        "executive",
        None,
        None,
        "en,de",
    ),
    ("admin@example.com", "Ada Admin", "admin", None, None, "en"),
    ("lead.austin@example.com", "Maria Lopez", "lead", "americas", 2, "en,es"),
    ("lead.dublin@example.com", "Siobhan Byrne", "lead", "emea", 2, "en,de"),
    ("lead.singapore@example.com", "Wei Ling Tan", "lead", "apac", 2, "en,zh"),
    ("manager.support@example.com", "Omar Haddad", "manager", "emea", None, "en,fr"),
    ("agent.austin1@example.com", "Jake Miller", "agent", "americas", 1, "en"),
    ("agent.austin2@example.com", "Lucia Garcia", "agent", "americas", 1, "en,es"),
    ("agent.austin3@example.com", "Tom Becker", "agent", "americas", 2, "en"),
    ("agent.austin4@example.com", "Rosa Diaz", "agent", "americas", 2, "en,es"),
    ("agent.austin5@example.com", "Sam Patel", "agent", "americas", 3, "en"),
    ("agent.dublin1@example.com", "Ciaran Walsh", "agent", "emea", 1, "en"),
    ("agent.dublin2@example.com", "Lena Schmidt", "agent", "emea", 1, "en,de"),
    ("agent.dublin3@example.com", "Claire Martin", "agent", "emea", 2, "en,fr"),
    ("agent.dublin4@example.com", "Jonas Weber", "agent", "emea", 2, "en,de"),
    ("agent.dublin5@example.com", "Aoife Kelly", "agent", "emea", 3, "en,de,fr"),
    ("agent.singapore1@example.com", "Priya Nair", "agent", "apac", 1, "en"),
    ("agent.singapore2@example.com", "Li Wei", "agent", "apac", 1, "en,zh"),
    ("agent.singapore3@example.com", "Yuki Tanaka", "agent", "apac", 2, "en,ja"),
    ("agent.singapore4@example.com", "Chen Jie", "agent", "apac", 2, "en,zh"),
    ("agent.singapore5@example.com", "Kenji Sato", "agent", "apac", 3, "en,ja"),
]

ORGANIZATIONS = [
    # (name, tier, region, country, language, domain)
    ("Northwind Energy", "strategic", "americas", "US", "en", "northwind.example"),
    ("Contoso Retail", "enterprise", "americas", "US", "en", "contoso.example"),
    ("Andes Logistics", "premium", "americas", "MX", "es", "andes.example"),
    ("Tailspin Games", "standard", "americas", "CA", "en", "tailspin.example"),
    ("Rheinwerk Bank", "strategic", "emea", "DE", "de", "rheinwerk.example"),
    ("Lumiere Media", "enterprise", "emea", "FR", "fr", "lumiere.example"),
    ("Liffey Software", "premium", "emea", "IE", "en", "liffey.example"),
    ("Nordic Parcel", "standard", "emea", "SE", "en", "nordicparcel.example"),
    ("Sakura Telecom", "strategic", "apac", "JP", "ja", "sakura.example"),
    ("Jade Payments", "enterprise", "apac", "SG", "zh", "jade.example"),
    ("Harbour Health", "premium", "apac", "AU", "en", "harbour.example"),
    ("Lotus Studio", "standard", "apac", "SG", "en", "lotus.example"),
]

SUBJECTS = {
    "critical": [
        "Production API returning 503 for all customers",
        "Payment processing down",
        "Database cluster unreachable after failover",
        "Login outage for every user",
    ],
    "high": [
        "Checkout latency above 10 seconds",
        "Reports failing for one region",
        "Webhook deliveries delayed by an hour",
        "Search index not updating",
    ],
    "medium": [
        "Export to CSV drops the last column",
        "Dashboard widget shows wrong totals",
        "Email notifications arrive twice",
        "SSO login asks for password again",
    ],
    "low": [
        "How do I add a second admin?",
        "Feature request: dark mode",
        "Question about API rate limits",
        "Invoice address change",
    ],
}
FIRST_NAMES = [
    "Alex",
    "Jordan",
    "Sofia",
    "Lukas",
    "Camille",
    "Hiro",
    "Mei",
    "Noah",
    "Ines",
    "Ravi",
]


def has_data(session: Session) -> bool:
    return bool(session.scalar(select(func.count(User.id))))


def _load_staff(session: Session) -> list[User]:
    return [
        create_user(
            session,
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            role=role,
            center=center,
            tier=tier,
            languages=langs.split(","),
        )
        for email, name, role, center, tier, langs in STAFF
    ]


def _after(ticket, created: datetime, minutes: float) -> datetime:
    """``minutes`` of the ticket's own SLA time after ``created``."""
    targets = sla.targets_for(ticket)
    return calendar_named(targets.calendar, ticket.center).add_business_minutes(
        created, minutes
    )


def _play(session, rng, ticket, agents, created: datetime, now: datetime) -> None:
    """Move a ticket through a plausible history between creation and now.

    Most commitments are kept: agents answer within 20-130% of the
    acknowledge target and solve within 40-120% of the resolution target,
    so the demo shows mostly met timers with some warnings and breaches.
    Steps that would lie in the future are not played.
    """
    minutes = sla.targets_for(ticket).minutes
    # Older tickets are mostly done; the open backlog is recent.
    weights = [3, 2, 3, 2, 2] if now - created < timedelta(days=2) else [1, 1, 6, 8, 1]
    steps = rng.choices(
        ["acknowledged", "pending", "solved", "closed", "working"], weights=weights
    )[0]
    local = [a for a in agents if a.center == ticket.center and a.tier] or agents
    agent = rng.choice([a for a in local if a.tier == 1] or local)
    actor = Actor.for_user(agent)
    acknowledged = _after(
        ticket, created, minutes["acknowledge"] * rng.uniform(0.2, 1.3)
    )
    if acknowledged >= now:
        return
    ticket_service.assign(session, ticket, agent, actor=actor, now=acknowledged)
    ticket_service.add_message(
        session,
        ticket,
        body="Thanks for reporting this. We are looking into it now.",
        public=True,
        actor=actor,
        now=acknowledged + timedelta(seconds=30),
    )
    if steps == "acknowledged":
        return
    engaged = _after(ticket, created, minutes["expert_engaged"] * rng.uniform(0.3, 1.2))
    engaged = max(engaged, acknowledged + timedelta(minutes=1))
    if engaged >= now:
        return
    if steps == "working":
        expert = rng.choice([a for a in local if (a.tier or 0) >= 2] or local)
        ticket_service.change_tier(
            session,
            ticket,
            2,
            actor=actor,
            reason="Needs product expertise",
            now=engaged,
        )
        ticket_service.add_message(
            session,
            ticket,
            body="Reproduced; collecting logs.",
            public=False,
            actor=Actor.for_user(expert),
            now=engaged + timedelta(minutes=2),
        )
        return
    ticket_service.add_message(
        session,
        ticket,
        body="Could you send us the request IDs?",
        public=True,
        actor=actor,
        set_status="pending",
        now=engaged,
    )
    if steps == "pending":
        return
    answered = engaged + (now - engaged) * rng.uniform(0.05, 0.2)
    ticket_service.add_message(
        session,
        ticket,
        body="Here are the request IDs.",
        public=True,
        actor=Actor.for_customer(ticket.requester),
        now=answered,
    )
    solved = _after(ticket, answered, minutes["workaround"] * rng.uniform(0.3, 0.9))
    if solved >= now:
        return
    ticket_service.mark_workaround(
        session, ticket, actor=actor, note="Retry with backoff", now=solved
    )
    ticket_service.change_status(
        session, ticket, "solved", actor=actor, now=solved + timedelta(minutes=2)
    )
    if steps == "closed" and solved + timedelta(days=2) < now:
        ticket_service.change_status(
            session,
            ticket,
            "closed",
            actor=Actor.system(),
            now=solved + timedelta(days=2),
        )


def _evening_in_austin(now: datetime) -> datetime:
    """The latest 19:30 in Austin at least three hours before ``now``."""
    zone = pytz.timezone("America/Chicago")
    day = now.astimezone(zone).date()
    while True:
        opened = zone.localize(datetime.combine(day, time(19, 30))).astimezone(
            now.tzinfo
        )
        if opened <= now - timedelta(hours=3):
            return opened
        day -= timedelta(days=1)


def _play_follow_the_sun(session: Session, staff: list[User], customer, now: datetime):
    """A critical ticket opened at 19:30 in Austin, as the engine would run it.

    Austin takes it in its last half hour of peak, hands it to Singapore at
    20:00, Singapore escalates it to tier 2, and the executives are emailed
    when it is still unresolved at the one-hour mark.
    """
    opened = _evening_in_austin(now)
    ticket = ticket_service.create_ticket(
        session,
        subject="Payment processing down for all stores",
        description="Every card payment fails with a gateway timeout since 19:25.",
        priority="critical",
        requester_email=customer.email,
        organization=customer.organization,
        channel="phone",
        now=opened,
    )
    first = ticket.assignee or next(
        u for u in staff if u.center == "americas" and u.tier == 1
    )
    ticket_service.add_message(
        session,
        ticket,
        body="We are on it: the payment gateway team is paged.",
        public=True,
        actor=Actor.for_user(first),
        now=opened + timedelta(minutes=5),
    )
    hand_off_due(session, now=opened + timedelta(minutes=30))
    singapore = ticket.assignee or next(
        u for u in staff if u.center == "apac" and u.tier == 1
    )
    escalation.escalate(
        session,
        ticket,
        actor=Actor.for_user(singapore),
        reason="Gateway logs show a certificate problem: needs tier 2",
        now=opened + timedelta(minutes=40),
    )
    sweep_batch(session, now=opened + timedelta(hours=1))
    return ticket


def load_demo(
    session: Session, *, tickets: int = 200, now: datetime | None = None, seed: int = 7
) -> str:
    """Create the demo staff, organizations, customers and ``tickets`` tickets."""
    now = now or utcnow()
    rng = random.Random(seed)
    staff = _load_staff(session)
    agents = [u for u in staff if u.role in ("agent", "lead")]
    organizations = [
        create_organization(
            session,
            name=name,
            account_tier=tier,
            region=region,
            country=country,
            language=language,
            email_domain=domain,
        )
        for name, tier, region, country, language, domain in ORGANIZATIONS
    ]
    customers = [
        get_or_create_customer(
            session,
            email=f"{first.lower()}@{org.email_domain}",
            name=f"{first} ({org.name})",
            organization=org,
        )
        for org in organizations
        for first in rng.sample(FIRST_NAMES, 3)
    ]
    # The scripted story is the first of the tickets, so the clock's hand-off
    # at its 20:00 moves only this ticket.
    if tickets:
        northwind = next(
            c for c in customers if c.organization.name == "Northwind Energy"
        )
        _play_follow_the_sun(session, staff, northwind, now)
    weights = {"critical": 1, "high": 3, "medium": 5, "low": 3}
    for _ in range(max(tickets - 1, 0)):
        priority = rng.choices(list(weights), weights=list(weights.values()))[0]
        customer = rng.choice(customers)
        created = now - timedelta(minutes=rng.uniform(5, 60 * 24 * 21))
        ticket = ticket_service.create_ticket(
            session,
            subject=rng.choice(SUBJECTS[priority]),
            description="Describe what happened, when it started and who is affected.",
            priority=priority,
            requester_email=customer.email,
            organization=customer.organization,
            channel=rng.choice(["web", "email", "api"]),
            now=created,
        )
        _play(session, rng, ticket, agents, created, now)
    for _ in range(tickets // 100 + 2):
        if not sweep_batch(session, now=now, batch_size=500).tickets:
            break
    return (
        f"Demo data loaded: {len(staff)} staff, {len(organizations)} organizations, "
        f"{len(customers)} customers, {tickets} tickets. "
        f"Staff password: {DEMO_PASSWORD}"
    )
