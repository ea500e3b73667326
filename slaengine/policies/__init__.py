"""SLA policies: the targets a ticket is held to, kept in data files.

Each ``*.json`` file in a policy folder holds one policy and is validated on
load (:mod:`slaengine.policies.schema`). Durations are written as ``"15m"``,
``"4h"`` or ``"2bd"`` (business days of the policy's ``business_day_minutes``).
A bad file stops start-up with a message naming the file, the policy and the
field.
"""

from __future__ import annotations

from slaengine.policies.model import Policy, Targets
from slaengine.policies.store import default_policies, load_policies, select_policy

__all__ = ["Policy", "Targets", "default_policies", "load_policies", "select_policy"]
