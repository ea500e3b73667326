"""Badges and words: the most pressing timer, durations, event lines."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from slaengine.errors import InvalidInput
from slaengine.queues import QueueFilters, SlaBadge, sla_badge
from tests.timepoints import utc
from web.agent.presenters import badge_text, business_minutes, duration

NOW = utc(2026, 12, 2, 15, 0)  # a Wednesday afternoon


def timer(metric, *, due=None, warn=None, met=None, warned=None):
    return SimpleNamespace(
        metric=metric, due_at=due, warn_at=warn, met_at=met, warning_fired_at=warned
    )


def test_a_breached_commitment_outranks_a_running_one():
    badge = sla_badge(
        [
            timer("acknowledge", due=utc(2026, 12, 2, 16, 0)),
            timer("resolution", due=utc(2026, 12, 2, 13, 55)),
        ],
        now=NOW,
    )
    assert badge == SlaBadge("breached", "resolution", utc(2026, 12, 2, 13, 55))
    assert badge_text(badge, NOW) == "resolution breached 1h 05m ago"


def test_the_soonest_running_timer_shows_and_warns_after_its_warning_instant():
    badge = sla_badge(
        [
            timer(
                "acknowledge",
                due=utc(2026, 12, 2, 15, 12),
                warn=utc(2026, 12, 2, 14, 59),
            ),
            timer("resolution", due=utc(2026, 12, 3, 15, 0)),
        ],
        now=NOW,
    )
    assert badge.state == "warning"
    assert badge_text(badge, NOW) == "acknowledge in 12m"


def test_paused_met_and_no_timers():
    assert sla_badge([timer("resolution")], now=NOW).state == "paused"
    assert sla_badge([timer("acknowledge", met=NOW)], now=NOW).state == "met"
    assert sla_badge([], now=NOW).state == "none"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (45, "45s"),
        (720, "12m"),
        (3900, "1h 05m"),
        (2 * 86400 + 3 * 3600, "2d 3h"),
    ],
)
def test_durations(seconds, words):
    assert duration(seconds) == words


def test_business_time_never_turns_into_days():
    assert business_minutes(24 * 60) == "24h"
    assert business_minutes(90) == "1h 30m"
    assert business_minutes(15) == "15m"
    assert business_minutes(None) == "—"


def test_filters_refuse_unknown_values():
    with pytest.raises(InvalidInput, match="center"):
        QueueFilters(center=("moon",))
    with pytest.raises(InvalidInput, match="search is limited"):
        QueueFilters(text="x" * 201)
