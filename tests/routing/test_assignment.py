"""Assignment: on shift, in the group, speaking the language, lightest load."""

from datetime import timedelta

import pytest

from slaengine.errors import InvalidInput
from slaengine.models import ShiftOverride
from slaengine.routing.assignment import (
    LightestLoad,
    assign_automatically,
    use_strategy,
)
from tests.timepoints import dublin, utc

IN_PEAK = dublin(2026, 12, 2, 10, 0)  # Wed 10:00 Dublin
NIGHT = dublin(2026, 12, 2, 23, 0)  # Wed 23:00 Dublin, off peak


@pytest.fixture
def german_org(make_organization):
    return make_organization(
        name="Rheinwerk", region="emea", language="de", email_domain="rw.example"
    )


def new_ticket(make_ticket, org=None, *, priority="medium", at=IN_PEAK, **extra):
    return make_ticket(priority=priority, organization=org, now=at, **extra)


def test_lightest_weighted_load_wins(db_session, make_user, make_ticket):
    busy = make_user(email="busy@support.example")
    light = make_user(email="light@support.example")
    # busy: one critical (8); light: three low (3).
    first = new_ticket(make_ticket, priority="critical")
    assert first.assignee_id in (busy.id, light.id)
    first.assignee = busy
    for _ in range(3):
        ticket = new_ticket(make_ticket, priority="low")
        ticket.assignee = light
    db_session.flush()
    assert new_ticket(make_ticket).assignee == light


def test_weights_are_configurable(db_session, make_user, make_ticket):
    busy = make_user(email="busy@support.example")
    light = make_user(email="light@support.example")
    previous = use_strategy(LightestLoad(weights={"critical": 1, "low": 5}))
    try:
        new_ticket(make_ticket, priority="critical").assignee = busy
        new_ticket(make_ticket, priority="low").assignee = light
        db_session.flush()
        assert new_ticket(make_ticket).assignee == busy
    finally:
        use_strategy(previous)


def test_bad_weights_name_the_field():
    with pytest.raises(InvalidInput) as caught:
        LightestLoad(weights={"urgent": 3})
    assert caught.value.field == "weights"
    with pytest.raises(InvalidInput):
        LightestLoad(weights={"low": -1})


def test_ties_go_round_robin(db_session, make_user, make_ticket):
    agents = [make_user(email=f"rr{n}@support.example") for n in range(3)]
    chosen = []
    for _ in range(6):
        ticket = new_ticket(make_ticket)
        chosen.append(ticket.assignee_id)
        ticket.status = "solved"  # keep loads level
        db_session.flush()
    ids = [a.id for a in agents]
    assert chosen == ids + ids


def test_language_center_and_tier_must_match(
    db_session, make_user, make_ticket, german_org
):
    make_user(email="en@support.example", languages=["en"])
    make_user(email="de.t2@support.example", languages=["en", "de"], tier=2)
    make_user(email="de.austin@support.example", languages=["de"], center="americas")
    speaker = make_user(email="de@support.example", languages=["en", "de"])
    ticket = new_ticket(make_ticket, german_org, requester_email="kim@rw.example")
    assert ticket.center == "emea"
    assert ticket.language == "de"
    assert ticket.assignee == speaker


def test_nobody_on_shift_leaves_the_ticket_in_the_queue(
    db_session, make_user, make_ticket, german_org
):
    make_user(email="day@support.example", languages=["en", "de"])
    ticket = new_ticket(
        make_ticket,
        german_org,
        priority="critical",
        at=NIGHT,
        requester_email="kim@rw.example",
    )
    assert ticket.center == "emea"  # German: no other center can take it
    assert ticket.assignee is None


def test_on_call_and_time_off_overrides(db_session, make_user, make_ticket, german_org):
    night = make_user(email="night@support.example", languages=["en", "de"])
    day = make_user(email="day@support.example", languages=["en", "de"])
    db_session.add_all(
        [
            ShiftOverride(
                user_id=night.id,
                kind="on_call",
                starts_at=NIGHT - timedelta(hours=1),
                ends_at=NIGHT + timedelta(hours=8),
            ),
            ShiftOverride(
                user_id=day.id,
                kind="time_off",
                starts_at=IN_PEAK - timedelta(hours=2),
                ends_at=IN_PEAK + timedelta(hours=8),
            ),
        ]
    )
    db_session.flush()
    at_night = new_ticket(
        make_ticket,
        german_org,
        priority="critical",
        at=NIGHT,
        requester_email="kim@rw.example",
    )
    assert at_night.assignee == night
    by_day = new_ticket(
        make_ticket, german_org, at=IN_PEAK, requester_email="kim@rw.example"
    )
    # The day agent is off; the on-call agent's override has ended, but a
    # tier-1 agent works peak hours anyway.
    assert by_day.assignee == night


def test_tier_three_works_business_hours_plus_on_call(
    db_session, make_user, make_ticket, as_agent
):
    from slaengine import escalation

    expert = make_user(email="t3@support.example", tier=3)
    saturday = dublin(2026, 12, 5, 10, 0)
    ticket = new_ticket(make_ticket, priority="critical", at=saturday)
    escalation.escalate(db_session, ticket, actor=as_agent, reason="a", now=saturday)
    escalation.escalate(db_session, ticket, actor=as_agent, reason="b", now=saturday)
    assert ticket.tier == 3
    assert ticket.assignee is None  # tier 3 does not work weekends
    db_session.add(
        ShiftOverride(
            user_id=expert.id,
            kind="on_call",
            starts_at=saturday,
            ends_at=saturday + timedelta(days=2),
        )
    )
    db_session.flush()
    assert assign_automatically(db_session, ticket, now=saturday) == expert


def test_a_holiday_holds_medium_work_but_not_critical(
    db_session, make_user, make_ticket, make_organization
):
    agent = make_user(email="xmas@support.example")
    christmas = dublin(2026, 12, 25, 10, 0)
    irish = make_organization(
        name="Liffey", region="emea", email_domain="liffey.example"
    )
    medium = new_ticket(
        make_ticket, irish, at=christmas, requester_email="a@liffey.example"
    )
    assert medium.center == "emea"
    assert medium.assignee is None
    critical = new_ticket(make_ticket, priority="critical", at=christmas)
    assert critical.center == "emea"
    assert critical.assignee == agent


def test_automatic_assignment_does_not_count_as_engagement(
    db_session, make_user, make_ticket, as_agent
):
    from slaengine import escalation

    make_user(email="t2@support.example", tier=2)
    ticket = new_ticket(make_ticket, priority="critical", at=utc(2026, 12, 2, 10, 0))
    escalation.escalate(
        db_session,
        ticket,
        actor=as_agent,
        reason="deep dive",
        now=utc(2026, 12, 2, 10, 5),
    )
    assert ticket.assignee.tier == 2
    timer = next(t for t in ticket.timers if t.metric == "tier2_response")
    assert timer.met_at is None
    assert timer.due_at == utc(2026, 12, 2, 11, 5)
