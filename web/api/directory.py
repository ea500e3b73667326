"""``/api/v1/organizations``, ``/users`` and ``/sla/policies``: reference data."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from slaengine import listing
from slaengine.policies import default_policies
from web.api import schemas
from web.api.auth import requires
from web.api.tickets import page_body
from web.database import session

blueprint = Blueprint(
    "api-directory",
    __name__,
    url_prefix="/api/v1",
    description="Organizations, staff users and the SLA policies in force.",
)


@blueprint.route("/organizations", methods=["GET"])
@requires("tickets:read")
@blueprint.arguments(schemas.OrganizationQuerySchema, location="query", unknown="raise")
@blueprint.response(200, schemas.OrganizationPageSchema)
def organizations(args: dict[str, Any]):
    """Customer organizations by id; `name` matches part of the name."""
    page = listing.organizations_page(
        session(), name=args.get("name"), cursor=args.get("cursor"), limit=args["limit"]
    )
    return page_body(page)


@blueprint.route("/users", methods=["GET"])
@requires("tickets:read")
@blueprint.arguments(schemas.UserQuerySchema, location="query", unknown="raise")
@blueprint.response(200, schemas.UserPageSchema)
def users(args: dict[str, Any]):
    """Staff users for assignment pickers (active ones unless `active=false`)."""
    page = listing.users_page(
        session(),
        role=args.get("role"),
        center=args.get("center"),
        tier=args.get("tier"),
        language=args.get("language"),
        active=args["active"],
        cursor=args.get("cursor"),
        limit=args["limit"],
    )
    return page_body(page)


@blueprint.route("/sla/policies", methods=["GET"])
@requires("tickets:read")
@blueprint.response(200, schemas.PolicyListSchema)
def policies():
    """The SLA policies in force: targets in minutes per priority and metric.

    Each policy applies to the account tiers it lists; the one listing none
    applies to every other account.
    """
    return {"data": [policy.describe() for policy in default_policies()]}
