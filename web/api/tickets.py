"""``/api/v1/tickets``: open, find, read, change and escalate tickets."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_smorest import Blueprint

from slaengine import listing
from slaengine.clock import utcnow
from slaengine.errors import InvalidInput, StaleVersion
from slaengine.events import Actor
from slaengine.models import Message, Ticket
from slaengine.people import find_organization
from slaengine.ticket_changes import UNSET, apply_changes, escalate_ticket
from slaengine.tickets import add_message, create_ticket, get_ticket
from web.api import schemas
from web.api.auth import current_user, requires
from web.api.schemas import MAX_ID
from web.database import session
from web.portal.views import offer_survey

blueprint = Blueprint(
    "api-tickets",
    __name__,
    url_prefix="/api/v1",
    description="Tickets, their SLA timers, conversation and audit log.",
)

ETAG_HEADER = {
    "ETag": {
        "description": "The ticket's version; send it back in If-Match.",
        "schema": {"type": "string"},
    }
}
LOCATION_HEADER = {
    "Location": {"description": "The new ticket's URL.", "schema": {"type": "string"}}
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag the change was made from: a stale one gets 412 "
    "and changes nothing. Left out, the change applies to the current version.",
}


def etag(ticket: Ticket) -> str:
    return f'"{ticket.version}"'


def expected_version(ticket: Ticket) -> int | None:
    """The version named by If-Match, None without one (or with ``*``).

    :raises StaleVersion: when no entity tag in it is the ticket's current
        one; a tag that is not one of ours can never match (RFC 9110, 13.1.1).
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    named = []
    for candidate in header.split(","):
        tag = candidate.strip().removeprefix("W/").strip('"')
        if tag.isdigit() and len(tag) < 12:
            named.append(int(tag))
    if ticket.version in named:
        return ticket.version
    raise StaleVersion(ticket.id, named[0] if named else 0, ticket.version)


def with_etag(body: Any, ticket: Ticket, status: int = 200, **headers: str):
    return body, status, {"ETag": etag(ticket), **headers}


def page_links(next_cursor: str | None) -> dict[str, str | None]:
    """``self`` and ``next`` URLs keeping the request's other parameters."""
    args = request.args.to_dict(flat=False)
    self_url = request.full_path.rstrip("?")
    next_url = None
    if next_cursor is not None:
        args["cursor"] = [next_cursor]
        next_url = url_for(request.endpoint, **request.view_args, **args)
    return {"self": self_url, "next": next_url}


def page_body(page: listing.Page) -> tuple[dict[str, Any], int, dict[str, str]]:
    links = page_links(page.next_cursor)
    headers = {"Link": f'<{links["next"]}>; rel="next"'} if links["next"] else {}
    return (
        {"data": page.items, "next_cursor": page.next_cursor, "links": links},
        200,
        headers,
    )


def _actor() -> Actor:
    return Actor.for_user(current_user())


class Enriched:
    """A record with a few more attributes for its response schema to read."""

    def __init__(self, record: Any, **extra: Any) -> None:
        self._record = record
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


def _detail(ticket: Ticket) -> Enriched:
    overview = listing.ticket_overview(session(), ticket)
    route = {
        "center": overview.route_center,
        "tier": overview.route_tier,
        "reason": overview.route_reason,
    }
    counts = {
        "replies": overview.replies,
        "notes": overview.notes,
        "events": overview.events,
    }
    return Enriched(ticket, route=route, counts=counts)


@blueprint.route("/tickets", methods=["POST"])
@requires("tickets:write")
@blueprint.arguments(schemas.TicketCreateSchema)
@blueprint.response(
    201, schemas.TicketDetailSchema, headers={**ETAG_HEADER, **LOCATION_HEADER}
)
def create(data: dict[str, Any]):
    """Open a ticket for a customer.

    The requester is created on first contact; `organization` names an
    existing organization. The ticket is routed and its SLA timers start.
    """
    db = session()
    organization = None
    if data.get("organization"):
        organization = find_organization(db, data["organization"])
        if organization is None:
            raise InvalidInput(
                f"organization: no organization is named {data['organization']!r}",
                field="organization",
            )
    try:
        ticket = create_ticket(
            db,
            subject=data["subject"],
            description=data["description"],
            priority=data["priority"],
            requester_email=data["requester"]["email"],
            requester_name=data["requester"]["name"],
            organization=organization,
            language=data.get("language"),
            channel="api",
            tags=data["tags"],
            actor=_actor(),
            now=utcnow(),
        )
    except InvalidInput as exc:
        if exc.field != "email":
            raise
        raise InvalidInput(f"requester.{exc}", field="requester.email") from None
    db.commit()
    location = url_for(".ticket", ticket_id=ticket.id, _external=True)
    return with_etag(_detail(ticket), ticket, 201, Location=location)


@blueprint.route("/tickets", methods=["GET"])
@requires("tickets:read")
@blueprint.arguments(schemas.TicketQuerySchema, location="query", unknown="raise")
@blueprint.response(200, schemas.TicketPageSchema)
def find(args: dict[str, Any]):
    """Find tickets: filter, sort, and walk the pages with `next_cursor`.

    Pages are cut by cursor, so tickets created meanwhile neither repeat nor
    skip a ticket. A `Link: <…>; rel="next"` header gives the next page too.
    """
    wanted = listing.TicketFilter(
        status=args.get("status", ()),
        priority=args.get("priority", ()),
        center=args.get("center"),
        tier=args.get("tier"),
        assignee_id=args.get("assignee"),
        unassigned=args.get("unassigned"),
        organization_id=args.get("organization"),
        requester_email=args.get("requester"),
        tag=args.get("tag"),
        created_after=args.get("created_after"),
        created_before=args.get("created_before"),
        updated_after=args.get("updated_after"),
        updated_before=args.get("updated_before"),
        breaching_before=args.get("breaching_before"),
    )
    page = listing.list_tickets(
        session(),
        wanted,
        sort=args["sort"],
        cursor=args.get("cursor"),
        limit=args["limit"],
    )
    return page_body(page)


@blueprint.route(f"/tickets/<int(max={MAX_ID}):ticket_id>", methods=["GET"])
@requires("tickets:read")
@blueprint.response(200, schemas.TicketDetailSchema, headers=ETAG_HEADER)
def ticket(ticket_id: int):
    """A ticket with its SLA timers and due times, its route and counts."""
    found = get_ticket(session(), ticket_id)
    return with_etag(_detail(found), found)


@blueprint.route(f"/tickets/<int(max={MAX_ID}):ticket_id>", methods=["PATCH"])
@requires("tickets:write")
@blueprint.arguments(schemas.TicketPatchSchema)
@blueprint.response(200, schemas.TicketDetailSchema, headers=ETAG_HEADER)
@blueprint.alt_response(412, response="PRECONDITION_FAILED")
@blueprint.alt_response(409, response="CONFLICT")
@blueprint.doc(parameters=[IF_MATCH])
def change(data: dict[str, Any], ticket_id: int):
    """Change status, priority, assignee, tier or tags, all or nothing.

    Send the ETag you read in `If-Match`; if the ticket changed since, the
    answer is 412 and nothing is changed.
    """
    db = session()
    found = get_ticket(db, ticket_id, for_update=True)
    apply_changes(
        db,
        found,
        actor=_actor(),
        status=data.get("status"),
        priority=data.get("priority"),
        assignee_id=data.get("assignee", UNSET),
        tier=data.get("tier"),
        tags=data.get("tags"),
        expected_version=expected_version(found),
        now=utcnow(),
    )
    offer_survey(db, found)
    db.commit()
    return with_etag(_detail(found), found)


@blueprint.route(f"/tickets/<int(max={MAX_ID}):ticket_id>/escalate", methods=["POST"])
@requires("tickets:write")
@blueprint.arguments(schemas.EscalateSchema)
@blueprint.response(200, schemas.TicketDetailSchema, headers=ETAG_HEADER)
@blueprint.alt_response(412, response="PRECONDITION_FAILED")
@blueprint.alt_response(409, response="CONFLICT")
@blueprint.doc(parameters=[IF_MATCH])
def escalate(data: dict[str, Any], ticket_id: int):
    """Move the ticket up one tier, saying why (409 at tier 3 or when closed)."""
    db = session()
    found = get_ticket(db, ticket_id, for_update=True)
    escalate_ticket(
        db,
        found,
        actor=_actor(),
        reason=data["reason"],
        expected_version=expected_version(found),
        now=utcnow(),
    )
    db.commit()
    return with_etag(_detail(found), found)


@blueprint.route(f"/tickets/<int(max={MAX_ID}):ticket_id>/messages", methods=["GET"])
@requires("tickets:read")
@blueprint.arguments(schemas.PageQuerySchema, location="query", unknown="raise")
@blueprint.response(200, schemas.MessagePageSchema)
def messages(args: dict[str, Any], ticket_id: int):
    """The conversation, oldest first: public replies and internal notes."""
    found = get_ticket(session(), ticket_id)
    page = listing.messages_page(
        session(), found, cursor=args.get("cursor"), limit=args["limit"]
    )
    page = listing.Page([_message(m) for m in page.items], page.next_cursor)
    return page_body(page)


def _message(message: Message) -> Enriched:
    if message.author_type == "customer" and message.author_customer is not None:
        author = {
            "type": "customer",
            "id": message.author_customer_id,
            "name": message.author_customer.name,
        }
    elif message.author_user is not None:
        author = {
            "type": message.author_type,
            "id": message.author_user_id,
            "name": message.author_user.name,
        }
    else:
        author = {"type": message.author_type, "id": None, "name": ""}
    return Enriched(message, author=author)


@blueprint.route(f"/tickets/<int(max={MAX_ID}):ticket_id>/messages", methods=["POST"])
@requires("tickets:write")
@blueprint.arguments(schemas.MessageCreateSchema)
@blueprint.response(201, schemas.MessageSchema, headers=ETAG_HEADER)
@blueprint.alt_response(409, response="CONFLICT")
def reply(data: dict[str, Any], ticket_id: int):
    """Add a public reply (`public: true`) or an internal note (`false`).

    An agent's first public reply opens a `new` ticket; `status` sets a
    status as well (a reply that sets `pending` responds, then pauses).
    """
    db = session()
    found = get_ticket(db, ticket_id, for_update=True)
    message = add_message(
        db,
        found,
        body=data["body"],
        public=data["public"],
        actor=_actor(),
        channel="api",
        set_status=data.get("status"),
        now=utcnow(),
    )
    db.commit()
    return with_etag(_message(message), found, 201)


@blueprint.route(f"/tickets/<int(max={MAX_ID}):ticket_id>/events", methods=["GET"])
@requires("tickets:read")
@blueprint.arguments(schemas.PageQuerySchema, location="query", unknown="raise")
@blueprint.response(200, schemas.EventPageSchema)
def events(args: dict[str, Any], ticket_id: int):
    """The audit log: every change, who made it, before and after."""
    found = get_ticket(session(), ticket_id)
    page = listing.events_page(
        session(), found, cursor=args.get("cursor"), limit=args["limit"]
    )
    return page_body(page)
