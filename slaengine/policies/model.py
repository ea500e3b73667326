"""The policy as the engine uses it, after validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SLA_METRICS = ("acknowledge", "expert_engaged", "workaround", "resolution", "update")
TIER_METRICS = ("tier2_response", "tier3_response", "executive_response")
ESCALATION_ACTIONS = (
    "notify_executives",
    "notify_management",
    "next_tier",
    "customer_request",
)


@dataclass(frozen=True)
class Escalation:
    action: str
    after_minutes: float | None


@dataclass(frozen=True)
class PriorityRules:
    calendar: str
    targets: dict[str, float]
    escalation: Escalation


@dataclass(frozen=True)
class Targets:
    """What one ticket is held to: minutes per metric and the calendar used.

    ``calendar`` is ``"24x7"`` or ``"business"`` (the home center's hours).
    """

    policy: str
    calendar: str
    minutes: dict[str, float]
    warning_ratio: float
    escalation: Escalation


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    warning_ratio: float
    business_day_minutes: float
    priorities: dict[str, PriorityRules]
    account_tiers: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    tier_response: dict[str, dict[str, float]] = field(default_factory=dict)
    account_tiers_applied: tuple[str, ...] = ()
    source: str = ""

    def targets_for(self, priority: str, account_tier: str | None) -> Targets:
        """Targets for a ticket of ``priority`` from an ``account_tier`` account.

        An account tier's commitment replaces the priority's target only where
        it is stricter.
        """
        rules = self.priorities[priority]
        minutes = dict(rules.targets)
        overrides = self.account_tiers.get(account_tier or "", {})
        for metric, per_priority in overrides.items():
            tier_minutes = per_priority.get(priority)
            if tier_minutes is not None:
                minutes[metric] = min(minutes.get(metric, tier_minutes), tier_minutes)
        for metric, per_priority in self.tier_response.items():
            if priority in per_priority:
                minutes[metric] = per_priority[priority]
        return Targets(
            policy=self.name,
            calendar=rules.calendar,
            minutes=minutes,
            warning_ratio=self.warning_ratio,
            escalation=rules.escalation,
        )

    def describe(self) -> dict[str, Any]:
        """The policy as plain data, for the API and the docs."""
        return {
            "name": self.name,
            "description": self.description,
            "warning_ratio": self.warning_ratio,
            "account_tiers_applied": list(self.account_tiers_applied),
            "priorities": {
                priority: {
                    "calendar": rules.calendar,
                    "target_minutes": rules.targets,
                    "escalation": {
                        "action": rules.escalation.action,
                        "after_minutes": rules.escalation.after_minutes,
                    },
                }
                for priority, rules in self.priorities.items()
            },
            "account_tier_overrides": self.account_tiers,
            "tier_response_minutes": self.tier_response,
        }
