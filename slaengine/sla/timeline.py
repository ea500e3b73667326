"""What the SLA clock reads from a ticket's event log.

:func:`read_timeline` folds the events into the instants the timers need:
when the ticket started, when each commitment was met, when it sat in
``pending`` or ``solved``, and when it was escalated. It is a pure function
of the events, so a timer can always be recomputed from the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from slaengine.models import TicketEvent

Interval = tuple[datetime, datetime | None]


@dataclass
class Timeline:
    created_at: datetime
    status: str = "new"
    first_agent_reply_at: datetime | None = None
    expert_engaged_at: datetime | None = None
    workaround_at: datetime | None = None
    first_solved_at: datetime | None = None
    solved_at: datetime | None = None
    agent_replies: list[datetime] = field(default_factory=list)
    pending: list[Interval] = field(default_factory=list)
    solved: list[Interval] = field(default_factory=list)
    escalated_at: dict[str, datetime] = field(default_factory=dict)
    tier_engaged_at: dict[str, datetime] = field(default_factory=dict)

    @property
    def is_done(self) -> bool:
        return self.status in ("solved", "closed")


def _close(intervals: list[Interval], at: datetime) -> None:
    if intervals and intervals[-1][1] is None:
        intervals[-1] = (intervals[-1][0], at)


def _engage(
    timeline: Timeline, at: datetime, tier: int | None, role: str | None
) -> None:
    """A staff member of ``tier``/``role`` took part in the ticket at ``at``."""
    if tier and tier >= 2 and timeline.expert_engaged_at is None:
        timeline.expert_engaged_at = at
    engaged = {
        "tier2_response": bool(tier and tier >= 2),
        "tier3_response": tier == 3,
        "executive_response": role == "executive",
    }
    for metric, started_at in timeline.escalated_at.items():
        if (
            engaged[metric]
            and metric not in timeline.tier_engaged_at
            and at >= started_at
        ):
            timeline.tier_engaged_at[metric] = at


def _apply_status(timeline: Timeline, before: str, after: str, at: datetime) -> None:
    timeline.status = after
    if before == "pending":
        _close(timeline.pending, at)
    if before == "solved" and after != "closed":
        _close(timeline.solved, at)
    if after == "pending":
        timeline.pending.append((at, None))
    if after == "solved":
        timeline.solved.append((at, None))
        timeline.solved_at = at
        timeline.first_solved_at = timeline.first_solved_at or at


def read_timeline(created_at: datetime, events: Iterable[TicketEvent]) -> Timeline:
    """Fold a ticket's events, oldest first, into a :class:`Timeline`."""
    timeline = Timeline(created_at=created_at)
    for event in events:
        at = event.at
        data = event.data or {}
        tier, role = data.get("actor_tier"), data.get("actor_role")
        if event.kind == "status":
            _apply_status(timeline, event.before, event.after, at)
        elif event.kind == "reply" and event.actor_type == "agent":
            timeline.first_agent_reply_at = timeline.first_agent_reply_at or at
            timeline.agent_replies.append(at)
            _engage(timeline, at, tier, role)
        elif event.kind == "note" and event.actor_type == "agent":
            _engage(timeline, at, tier, role)
        elif event.kind == "assignee" and event.after is not None:
            _engage(timeline, at, data.get("assignee_tier"), data.get("assignee_role"))
        elif event.kind == "workaround":
            timeline.workaround_at = timeline.workaround_at or at
        elif event.kind == "escalated":
            metric = {2: "tier2_response", 3: "tier3_response"}.get(event.after)
            if metric:
                timeline.escalated_at.setdefault(metric, at)
        elif event.kind == "executives_escalated":
            timeline.escalated_at.setdefault("executive_response", at)
        elif event.kind == "executive_acknowledged":
            _engage(timeline, at, tier, "executive")
    return timeline
