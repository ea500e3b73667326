"""``/api/v1/webhooks``: administrators subscribe other systems to events."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from slaengine import webhooks
from slaengine.clock import utcnow
from web.api import schemas
from web.api.auth import requires
from web.api.schemas import MAX_ID
from web.database import session

blueprint = Blueprint(
    "api-webhooks",
    __name__,
    url_prefix="/api/v1",
    description="Outgoing webhooks, signed with HMAC-SHA256 "
    "(`X-Slaengine-Signature: sha256=<hex>`); administrators only.",
)


@blueprint.route("/webhooks", methods=["GET"])
@requires("webhooks:manage")
@blueprint.response(200, schemas.WebhookListSchema)
def list_webhooks():
    """Every subscription (secrets are never shown again)."""
    return {"data": webhooks.list_webhooks(session())}


@blueprint.route("/webhooks", methods=["POST"])
@requires("webhooks:manage")
@blueprint.arguments(schemas.WebhookCreateSchema)
@blueprint.response(201, schemas.WebhookCreatedSchema)
def create_webhook(data: dict[str, Any]):
    """Subscribe a URL to event types.

    Event types: `ticket.created`, `ticket.status_changed`, `sla.warning`,
    `sla.breach`, `escalation`. The answer shows the secret once.
    """
    db = session()
    hook = webhooks.create_webhook(
        db,
        url=data["url"],
        event_types=data["event_types"],
        secret=data.get("secret"),
        now=utcnow(),
    )
    db.commit()
    return hook


@blueprint.route(f"/webhooks/<int(max={MAX_ID}):webhook_id>", methods=["DELETE"])
@requires("webhooks:manage")
@blueprint.response(204)
def delete_webhook(webhook_id: int):
    """Unsubscribe; queued deliveries are dropped, the delivery log is kept."""
    db = session()
    webhooks.delete_webhook(db, webhook_id)
    db.commit()


@blueprint.route(
    f"/webhooks/<int(max={MAX_ID}):webhook_id>/deliveries", methods=["GET"]
)
@requires("webhooks:manage")
@blueprint.response(200, schemas.DeliveryListSchema)
def deliveries(webhook_id: int):
    """The latest 50 delivery attempts, newest first, with status or error."""
    return {"data": webhooks.recent_deliveries(session(), webhook_id)}
