"""Loading policy files and choosing the policy for a ticket."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from slaengine.errors import ConfigError
from slaengine.policies.model import Escalation, Policy, PriorityRules
from slaengine.policies.schema import DURATION, PolicySchema

DEFAULT_FOLDER = Path(__file__).resolve().parent


def _first_error(messages: Any, path: str = "") -> str:
    """The first leaf of marshmallow's nested error dict, as ``a.b: text``."""
    if isinstance(messages, Mapping):
        key, value = next(iter(messages.items()))
        if key in ("_schema", "value", "key"):
            return _first_error(value, path)
        return _first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(messages, Sequence) and not isinstance(messages, str):
        return _first_error(messages[0], path)
    return f"{path}: {messages}" if path else str(messages)


def _minutes(text: str, business_day_minutes: float) -> float:
    match = DURATION.match(text)
    assert match is not None  # validated by the schema
    amount = float(match["amount"])
    return {"m": amount, "h": amount * 60, "bd": amount * business_day_minutes}[
        match["unit"]
    ]


def build_policy(data: Mapping[str, Any], source: str = "") -> Policy:
    """Validate ``data`` and turn it into a :class:`Policy`.

    :raises ConfigError: naming the source, the policy and the first bad field.
    """
    try:
        loaded = PolicySchema().load(data)
    except ValidationError as exc:
        name = data.get("name", "?") if isinstance(data, Mapping) else "?"
        raise ConfigError(
            f"{source or '<policy>'}: policy {name!r}: {_first_error(exc.messages)}"
        ) from None
    day = loaded["business_day_minutes"]

    def minutes(per_key: Mapping[str, str]) -> dict[str, float]:
        return {key: _minutes(value, day) for key, value in per_key.items()}

    priorities = {
        priority: PriorityRules(
            calendar=rules["calendar"],
            targets=minutes(rules["targets"]),
            escalation=Escalation(
                action=rules["escalation"]["action"],
                after_minutes=(
                    _minutes(rules["escalation"]["after"], day)
                    if "after" in rules["escalation"]
                    else None
                ),
            ),
        )
        for priority, rules in loaded["priorities"].items()
    }
    return Policy(
        name=loaded["name"],
        description=loaded["description"],
        warning_ratio=loaded["warning_ratio"],
        business_day_minutes=day,
        priorities=priorities,
        account_tiers={
            tier: {metric: minutes(per) for metric, per in metrics.items()}
            for tier, metrics in loaded["account_tiers"].items()
        },
        tier_response={
            metric: minutes(per) for metric, per in loaded["tier_response"].items()
        },
        account_tiers_applied=tuple(loaded["applies_to_account_tiers"]),
        source=source,
    )


def load_policies(folder: Path) -> tuple[Policy, ...]:
    """Load every ``*.json`` policy in ``folder``.

    Exactly one policy must apply to all account tiers (no
    ``applies_to_account_tiers``): it is the fallback.

    :raises ConfigError: for an unreadable file, bad JSON or a bad field.
    """
    policies = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot read policy: {exc}") from None
        policies.append(build_policy(data, source=str(path)))
    fallbacks = [p.name for p in policies if not p.account_tiers_applied]
    if len(fallbacks) != 1:
        raise ConfigError(
            f"{folder}: exactly one policy must apply to every account tier, "
            f"found {len(fallbacks)} ({', '.join(fallbacks) or 'none'})"
        )
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise ConfigError(f"{folder}: two policies share a name: {names}")
    return tuple(policies)


@cache
def default_policies() -> tuple[Policy, ...]:
    """The policies shipped with the engine (cached)."""
    return load_policies(DEFAULT_FOLDER)


def select_policy(policies: Sequence[Policy], account_tier: str | None) -> Policy:
    """The policy for an account tier: a specific one, else the fallback."""
    for policy in policies:
        if account_tier in policy.account_tiers_applied:
            return policy
    return next(p for p in policies if not p.account_tiers_applied)
