"""Computing a ticket's SLA timers from its timeline, policy and calendar.

Pure functions: given the :class:`Timeline`, the :class:`Targets` in force,
the calendar and ``now``, :func:`compute_timers` returns what each timer is.
Nothing here reads the clock or the database.

Rules (DESIGN.md, SLA policy):

- acknowledge, expert_engaged, workaround and resolution start when the
  ticket is created; ``update`` starts at each public agent reply (a new
  cycle each time); tier and executive response timers start at the
  escalation.
- acknowledge is met by the first public agent reply; expert_engaged by a
  tier-2-or-higher agent assigned or writing; workaround by an agent marking
  it; resolution by solving. Solving also meets any other commitment still
  open at that moment.
- ``pending`` pauses workaround, resolution and update; a reopened ticket's
  time in ``solved`` does not count towards resolution.
- A timer met no later than its due instant is ``met``; one whose due instant
  passed first is ``breached`` (and keeps ``met_at`` if met late).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slaengine.calendars import BusinessCalendar
from slaengine.policies import Targets
from slaengine.sla.timeline import Interval, Timeline

PAUSABLE = frozenset({"workaround", "resolution", "update"})
BASE_METRICS = ("acknowledge", "expert_engaged", "workaround", "resolution")


@dataclass(frozen=True)
class TimerState:
    metric: str
    cycle: int
    state: str
    target_minutes: float
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None
    used_minutes: float


def _clip(
    pauses: Sequence[Interval], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Pauses as closed intervals inside [start, end] (an open pause ends at end)."""
    clipped = []
    for begin, finish in pauses:
        finish = end if finish is None else min(finish, end)
        begin = max(begin, start)
        if begin < finish:
            clipped.append((begin, finish))
    return clipped


def compute_timer(
    metric: str,
    *,
    cycle: int,
    target_minutes: float,
    started_at: datetime,
    met_at: datetime | None,
    pauses: Sequence[Interval],
    warning_ratio: float,
    calendar: BusinessCalendar,
    now: datetime,
) -> TimerState:
    """One timer's state at ``now``.

    While a pause is open the timer has no due instant: it is ``paused``,
    unless its due instant had already passed before the pause began.

    :param pauses: ``(from, to)`` instants, ``to`` is None for a pause still
        running. Only pauses of pausable metrics should be passed.
    """
    end = met_at or now
    open_pause = next((begin for begin, finish in pauses if finish is None), None)
    closed = _clip(
        [p for p in pauses if p[1] is not None], started_at, max(end, started_at)
    )
    due_at = calendar.add_business_minutes(started_at, target_minutes, pauses=closed)
    warn_at = calendar.add_business_minutes(
        started_at, target_minutes * warning_ratio, pauses=closed
    )
    paused = met_at is None and open_pause is not None
    if paused and due_at > open_pause:
        due_at = None
        if warn_at > open_pause:
            warn_at = None
    used = (
        calendar.business_minutes_between(
            started_at, end, pauses=_clip(pauses, started_at, end)
        )
        if end > started_at
        else 0.0
    )
    if met_at is not None:
        state = "met" if due_at is None or met_at <= due_at else "breached"
    elif due_at is not None and due_at <= now:
        state = "breached"
    elif paused:
        state = "paused"
    else:
        state = "running"
    return TimerState(
        metric,
        cycle,
        state,
        target_minutes,
        started_at,
        due_at,
        warn_at,
        met_at,
        round(used, 6),
    )


def _met(at: datetime | None, timeline: Timeline) -> datetime | None:
    """The meeting instant, or the first solve if that came earlier."""
    candidates = [t for t in (at, timeline.first_solved_at) if t is not None]
    return min(candidates) if candidates else None


def compute_timers(
    timeline: Timeline,
    targets: Targets,
    calendar: BusinessCalendar,
    *,
    now: datetime,
    round_the_clock: BusinessCalendar,
) -> list[TimerState]:
    """Every timer the ticket has at ``now``.

    :param calendar: the calendar the priority runs on (24x7 or business).
    :param round_the_clock: the 24x7 calendar, for tier response timers.
    """
    minutes = targets.minutes
    created = timeline.created_at
    pending: list[Interval] = list(timeline.pending)

    def timer(metric, *, cycle=1, start=created, met_at=None, pauses=(), cal=calendar):
        return compute_timer(
            metric,
            cycle=cycle,
            target_minutes=minutes[metric],
            started_at=start,
            met_at=met_at,
            pauses=list(pauses) if metric in PAUSABLE else [],
            warning_ratio=targets.warning_ratio,
            calendar=cal,
            now=now,
        )

    timers = [
        timer("acknowledge", met_at=_met(timeline.first_agent_reply_at, timeline)),
        timer("expert_engaged", met_at=_met(timeline.expert_engaged_at, timeline)),
        timer(
            "workaround", met_at=_met(timeline.workaround_at, timeline), pauses=pending
        ),
        timer(
            "resolution",
            met_at=timeline.solved_at if timeline.is_done else None,
            pauses=pending + [i for i in timeline.solved if i[1] is not None],
        ),
    ]
    if timeline.agent_replies:
        last_reply = timeline.agent_replies[-1]
        timers.append(
            timer(
                "update",
                cycle=len(timeline.agent_replies),
                start=last_reply,
                met_at=timeline.solved_at if timeline.is_done else None,
                pauses=pending,
            )
        )
    for metric, started_at in timeline.escalated_at.items():
        if metric in minutes:
            timers.append(
                timer(
                    metric,
                    start=started_at,
                    cal=round_the_clock,
                    met_at=_met(timeline.tier_engaged_at.get(metric), timeline),
                )
            )
    return timers
