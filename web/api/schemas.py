"""marshmallow schemas of the REST API: what it reads and what it writes.

Request schemas reject unknown fields (marshmallow's default) and bound
every size; text fields refuse NUL and unpaired surrogates, which no
database stores. Instants are ISO 8601 in UTC on the way out and must carry
a zone on the way in.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from slaengine.listing import MAX_LIMIT, SORTS
from slaengine.models import PRIORITIES, REGIONS, ROLES, STATUSES, TIMER_STATES
from slaengine.people import LANGUAGES
from slaengine.policies.model import SLA_METRICS, TIER_METRICS
from slaengine.tickets import MAX_BODY, MAX_SUBJECT
from slaengine.webhooks import EVENT_TYPES, MAX_SECRET, MAX_URL, MIN_SECRET

MAX_ID = 2**31 - 1
MAX_TAGS = 20
MAX_TAG = 50
MAX_REASON = 1000
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]


class Text(fields.String):
    """A string a database can store: no NUL, no unpaired surrogate."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Must be valid Unicode text.") from None
        return text


def _id(*, strict: bool = True, **kwargs: Any) -> fields.Integer:
    """A row id; ``strict`` refuses ``"5"`` in JSON (queries are all strings)."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


def _instant(description: str, **kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        format="iso", metadata={"description": description}, **kwargs
    )


def _choice(choices: Any, **kwargs: Any) -> Text:
    return Text(validate=validate.OneOf(list(choices)), **kwargs)


# Problems -----------------------------------------------------------------


class FieldErrorSchema(Schema):
    field = fields.String(metadata={"description": "Dotted path, or `_schema`."})
    location = fields.String(metadata={"description": "`json`, `query` or …"})
    pointer = fields.String(metadata={"description": "JSON pointer into the body."})
    detail = fields.String()


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages keyed by field path."},
    )


# Shared pieces --------------------------------------------------------------


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class OrganizationRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    account_tier = fields.String()
    region = fields.String(allow_none=True)


class TimerSchema(Schema):
    metric = fields.String(metadata={"enum": [*SLA_METRICS, *TIER_METRICS]})
    state = fields.String(metadata={"enum": list(TIMER_STATES)})
    target_minutes = fields.Float()
    calendar = fields.String(metadata={"description": "`24x7` or `business`."})
    started_at = _instant("When the commitment started.")
    due_at = _instant("When it breaches (null while paused).", allow_none=True)
    warn_at = _instant("When the warning fires.", allow_none=True)
    met_at = _instant("When it was met.", allow_none=True)
    breached_at = _instant("When it breached.", allow_none=True)
    used_minutes = fields.Float(metadata={"description": "Business minutes used."})


class LinksSchema(Schema):
    self_ = fields.String(data_key="self", attribute="self")
    next = fields.String(allow_none=True)


# Tickets --------------------------------------------------------------------


class TicketSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    subject = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    priority = fields.String(metadata={"enum": list(PRIORITIES)})
    channel = fields.String()
    language = fields.String()
    center = fields.String(allow_none=True)
    tier = fields.Integer()
    assignee = fields.Nested(PersonSchema, allow_none=True)
    requester = fields.Nested(PersonSchema)
    organization = fields.Nested(OrganizationRefSchema, allow_none=True)
    tags = fields.List(fields.String())
    created_at = _instant("When the ticket was opened.")
    updated_at = _instant("When it last changed.")
    solved_at = _instant("When it was solved.", allow_none=True)
    closed_at = _instant("When it was closed.", allow_none=True)
    next_deadline_at = _instant(
        "Its earliest pending warning or breach.", allow_none=True
    )
    version = fields.Integer(metadata={"description": "Also the ETag."})
    sla = fields.List(fields.Nested(TimerSchema), attribute="timers")


class RouteSchema(Schema):
    center = fields.String(allow_none=True)
    tier = fields.Integer()
    reason = fields.String(allow_none=True)


class CountsSchema(Schema):
    replies = fields.Integer(metadata={"description": "Public messages."})
    notes = fields.Integer(metadata={"description": "Internal notes."})
    events = fields.Integer()


class TicketDetailSchema(TicketSchema):
    route = fields.Nested(RouteSchema)
    counts = fields.Nested(CountsSchema)


class TicketPageSchema(Schema):
    data = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.String(allow_none=True)
    links = fields.Nested(LinksSchema)


class RequesterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    name = Text(validate=validate.Length(max=200), load_default="")


class TicketCreateSchema(Schema):
    subject = Text(required=True, validate=validate.Length(1, MAX_SUBJECT))
    description = Text(required=True, validate=validate.Length(1, MAX_BODY))
    priority = _choice(PRIORITIES, required=True)
    requester = fields.Nested(RequesterSchema, required=True)
    organization = Text(
        validate=validate.Length(1, 200),
        metadata={"description": "An existing organization's name."},
    )
    language = _choice(LANGUAGES, metadata={"description": "ISO 639-1."})
    tags = fields.List(
        Text(validate=validate.Length(1, MAX_TAG)),
        validate=validate.Length(max=MAX_TAGS),
        load_default=list,
    )


class TicketPatchSchema(Schema):
    status = _choice(STATUSES)
    priority = _choice(PRIORITIES)
    assignee = _id(
        allow_none=True,
        metadata={"description": "A user id (GET /users), null to unassign."},
    )
    tier = fields.Integer(strict=True, validate=validate.Range(1, 3))
    tags = fields.List(
        Text(validate=validate.Length(1, MAX_TAG)),
        validate=validate.Length(max=MAX_TAGS),
    )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError(
                "Give at least one of status, priority, assignee, tier, tags."
            )


class TicketQuerySchema(Schema):
    status = fields.List(_choice(STATUSES), metadata={"description": "Repeatable."})
    priority = fields.List(_choice(PRIORITIES), metadata={"description": "Repeatable."})
    center = _choice(REGIONS)
    tier = fields.Integer(validate=validate.Range(1, 3))
    assignee = _id(strict=False, metadata={"description": "A user id."})
    unassigned = fields.Boolean()
    organization = _id(strict=False, metadata={"description": "An organization id."})
    requester = Text(
        validate=validate.Length(1, 320),
        metadata={"description": "The requester's email."},
    )
    tag = Text(validate=validate.Length(1, MAX_TAG))
    created_after = _instant("Created at or after.")
    created_before = _instant("Created before.")
    updated_after = _instant("Updated at or after.")
    updated_before = _instant("Updated before.")
    breaching_before = _instant(
        "Has an unmet running or breached timer due before this instant."
    )
    sort = _choice(
        SORT_CHOICES,
        load_default="-created",
        metadata={"description": "`-` in front for descending."},
    )
    cursor = Text(validate=validate.Length(1, 500))
    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT), load_default=25)


class PageQuerySchema(Schema):
    cursor = Text(validate=validate.Length(1, 500))
    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT), load_default=50)


class AuthorSchema(Schema):
    type = fields.String(metadata={"enum": ["customer", "agent", "system"]})
    id = fields.Integer(allow_none=True)
    name = fields.String()


class MessageSchema(Schema):
    id = fields.Integer()
    public = fields.Boolean()
    author = fields.Nested(AuthorSchema)
    body = fields.String(attribute="body_text")
    channel = fields.String()
    created_at = _instant("When it was written.")


class MessagePageSchema(Schema):
    data = fields.List(fields.Nested(MessageSchema))
    next_cursor = fields.String(allow_none=True)
    links = fields.Nested(LinksSchema)


class MessageCreateSchema(Schema):
    body = Text(required=True, validate=validate.Length(1, MAX_BODY))
    public = fields.Boolean(
        required=True,
        metadata={"description": "true: a reply the customer sees; false: a note."},
    )
    status = _choice(STATUSES, metadata={"description": "Also set this status."})


class ActorSchema(Schema):
    type = fields.String(attribute="actor_type")
    id = fields.Integer(attribute="actor_id", allow_none=True)
    name = fields.String(attribute="actor_name")


class EventSchema(Schema):
    id = fields.Integer()
    at = _instant("When it happened.")
    kind = fields.String()
    field = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    actor = fields.Function(
        lambda event: ActorSchema().dump(event),
        metadata={"type": "object", "description": "`type`, `id` and `name`."},
    )
    data = fields.Dict()


class EventPageSchema(Schema):
    data = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(allow_none=True)
    links = fields.Nested(LinksSchema)


class EscalateSchema(Schema):
    reason = Text(required=True, validate=validate.Length(1, MAX_REASON))


# Directory ------------------------------------------------------------------


class OrganizationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    account_tier = fields.String()
    region = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    email_domain = fields.String(allow_none=True)


class OrganizationPageSchema(Schema):
    data = fields.List(fields.Nested(OrganizationSchema))
    next_cursor = fields.String(allow_none=True)
    links = fields.Nested(LinksSchema)


class OrganizationQuerySchema(PageQuerySchema):
    name = Text(
        validate=validate.Length(1, 200),
        metadata={"description": "Part of the name, any case."},
    )


class UserSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    center = fields.String(allow_none=True)
    tier = fields.Integer(allow_none=True)
    languages = fields.List(fields.String())
    active = fields.Boolean()


class UserPageSchema(Schema):
    data = fields.List(fields.Nested(UserSchema))
    next_cursor = fields.String(allow_none=True)
    links = fields.Nested(LinksSchema)


class UserQuerySchema(PageQuerySchema):
    role = _choice(ROLES)
    center = _choice(REGIONS)
    tier = fields.Integer(validate=validate.Range(1, 3))
    language = _choice(LANGUAGES)
    active = fields.Boolean(load_default=True)


class PolicySchema(Schema):
    name = fields.String()
    description = fields.String()
    warning_ratio = fields.Float()
    account_tiers_applied = fields.List(fields.String())
    priorities = fields.Dict()
    account_tier_overrides = fields.Dict()
    tier_response_minutes = fields.Dict()


class PolicyListSchema(Schema):
    data = fields.List(fields.Nested(PolicySchema))


# Webhooks -------------------------------------------------------------------


class WebhookSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    event_types = fields.List(fields.String(metadata={"enum": list(EVENT_TYPES)}))
    active = fields.Boolean()
    created_at = _instant("When it was registered.")


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        metadata={"description": "Shown only here: verify signatures with it."}
    )


class WebhookListSchema(Schema):
    data = fields.List(fields.Nested(WebhookSchema))


class WebhookCreateSchema(Schema):
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=MAX_URL),
    )
    event_types = fields.List(
        _choice(EVENT_TYPES),
        required=True,
        validate=validate.Length(1, len(EVENT_TYPES)),
    )
    secret = Text(
        validate=validate.Length(MIN_SECRET, MAX_SECRET),
        metadata={"description": "Generated when left out."},
    )


class DeliverySchema(Schema):
    id = fields.Integer()
    outbox_id = fields.Integer()
    attempt = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    at = _instant("When the attempt was made.")


class DeliveryListSchema(Schema):
    data = fields.List(fields.Nested(DeliverySchema))
