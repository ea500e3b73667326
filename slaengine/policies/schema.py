"""marshmallow schemas that validate policy files.

Durations stay strings here (``"15m"``, ``"4h"``, ``"2bd"``) and are turned
into minutes in :mod:`slaengine.policies.store`, where the policy's business
day length is known.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from slaengine.models import ACCOUNT_TIERS, PRIORITIES
from slaengine.policies.model import ESCALATION_ACTIONS, SLA_METRICS, TIER_METRICS

DURATION = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?P<unit>m|h|bd)$")


class Duration(fields.String):
    """A duration such as ``15m``, ``4h`` or ``2bd``, kept as written."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        match = DURATION.match(text)
        if not match or float(match["amount"]) <= 0:
            raise ValidationError(
                f"{text!r} is not a duration such as '15m', '4h' or '2bd'"
            )
        return text


class EscalationSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(ESCALATION_ACTIONS))
    after = Duration()

    @validates_schema
    def check_after(self, data, **kwargs):
        if data["action"] != "customer_request" and "after" not in data:
            raise ValidationError(f"{data['action']} needs 'after'", "after")


class PriorityRulesSchema(Schema):
    calendar = fields.String(
        required=True, validate=validate.OneOf(("24x7", "business"))
    )
    targets = fields.Dict(
        keys=fields.String(validate=validate.OneOf(SLA_METRICS)),
        values=Duration(),
        required=True,
    )
    escalation = fields.Nested(EscalationSchema, required=True)

    @validates_schema
    def check_every_metric(self, data, **kwargs):
        missing = [metric for metric in SLA_METRICS if metric not in data["targets"]]
        if missing:
            raise ValidationError(f"missing targets: {', '.join(missing)}", "targets")


def _per_priority() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(PRIORITIES)), values=Duration()
    )


class PolicySchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_-]{1,50}$"))
    description = fields.String(load_default="")
    warning_ratio = fields.Float(load_default=0.75, validate=validate.Range(0.05, 0.99))
    business_day_minutes = fields.Float(
        load_default=720, validate=validate.Range(1, 1440)
    )
    applies_to_account_tiers = fields.List(
        fields.String(validate=validate.OneOf(ACCOUNT_TIERS)), load_default=list
    )
    priorities = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PRIORITIES)),
        values=fields.Nested(PriorityRulesSchema),
        required=True,
    )
    account_tiers = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ACCOUNT_TIERS)),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(SLA_METRICS)),
            values=_per_priority(),
        ),
        load_default=dict,
    )
    tier_response = fields.Dict(
        keys=fields.String(validate=validate.OneOf(TIER_METRICS)),
        values=_per_priority(),
        load_default=dict,
    )

    @validates_schema
    def check_every_priority(self, data, **kwargs):
        missing = [p for p in PRIORITIES if p not in data.get("priorities", {})]
        if missing:
            raise ValidationError(
                f"missing priorities: {', '.join(missing)}", "priorities"
            )
