"""End to end in Chromium: an agent works a new ticket from the unassigned queue."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from slaengine.clock import utcnow
from slaengine.models import Ticket
from slaengine.sla import store_next_deadlines
from slaengine.sla.firing import next_deadline
from tests.agent.conftest import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def worked_queue(seed, database):
    """A new medium ticket to work, among others: one breached, one warned."""
    others = [
        seed(subject=subject, priority=priority, requester_email="mo@rheinwerk.example")
        for subject, priority in (
            ("Reports failing for one region", "medium"),
            ("Feature request: dark mode", "low"),
            ("Dashboard widget shows wrong totals", "medium"),
        )
    ]
    overdue = (timedelta(hours=1, minutes=5), timedelta(minutes=-9))
    with database.session() as session:
        for ticket_id, late in zip(others[:2], overdue, strict=True):
            ticket = session.get(Ticket, ticket_id)
            timer = next(t for t in ticket.timers if t.metric == "acknowledge")
            timer.due_at = utcnow() - late
            timer.warn_at = timer.due_at - timedelta(minutes=30)
            store_next_deadlines(session, {ticket.id: next_deadline(ticket.timers)})
    return seed(
        subject="Webhook deliveries delayed by an hour",
        priority="medium",
        description="Since 09:00 <b>every</b> webhook arrives ~1h late.",
    )


def test_agent_works_a_ticket_end_to_end(live_server, page, worked_queue):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server}/agent/")
    expect_url(page, r"/agent/login")
    page.get_by_label("Email").fill("agent@support.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name=re.compile("^Unassigned")).click()
    row = page.get_by_role("row", name=re.compile("Webhook deliveries delayed"))
    badge = row.locator(".sla")
    assert re.match(r"acknowledge in \d+", badge.inner_text())
    breached = page.get_by_role("row", name=re.compile("Reports failing")).locator(
        ".sla"
    )
    assert re.match(r"acknowledge breached 1h 0[45]m ago", breached.inner_text())
    assert "sla-breached" in breached.get_attribute("class")
    rows = page.locator("tbody tr").all_inner_texts()
    assert rows[0].strip().startswith("acknowledge breached"), "most urgent first"
    assert "Feature request: dark mode" in rows[1]
    shoot(page, "queue-unassigned")

    row.get_by_role("link", name=re.compile("Webhook deliveries delayed")).click()
    expect_url(page, rf"/agent/tickets/{worked_queue}$")
    page.get_by_role("button", name="Claim (assign to me)").click()
    page.get_by_role("status").filter(has_text="The ticket is yours").wait_for()

    acknowledge = page.locator('tr[data-timer="acknowledge"] [data-timer-state]')
    assert acknowledge.get_attribute("data-timer-state") == "running"
    page.get_by_label("Reply to customer").fill("We see the delay and are on it.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_role("status").filter(has_text="Reply sent").wait_for()
    assert acknowledge.get_attribute("data-timer-state") == "met"
    shoot(page, "ticket-replied")

    page.get_by_role("button", name="Escalate to tier 2").click()
    assert page.url.endswith(f"/agent/tickets/{worked_queue}"), (
        "empty reason must not submit"
    )
    page.get_by_label("Reason for escalating").fill("Needs the webhook team's eyes")
    page.get_by_role("button", name="Escalate to tier 2").click()
    page.get_by_role("status").filter(has_text="Escalated").wait_for()
    assert "tier 2" in page.locator(".facts").inner_text()
    assert page.get_by_text(
        "Escalated to tier 2: Needs the webhook team's eyes"
    ).is_visible()
    shoot(page, "ticket-escalated")

    page.keyboard.press("?")
    assert page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
    page.keyboard.press("Escape")

    page.get_by_role("link", name=re.compile("^Escalated")).click()
    escalated = page.get_by_role("row", name=re.compile("Webhook deliveries delayed"))
    assert "emea · T2" in escalated.inner_text()
    shoot(page, "queue-escalated")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    expect_url(page, r"/agent/login$")


def test_queue_on_a_narrow_window(live_server, page, worked_queue):
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(f"{live_server}/agent/login")
    page.get_by_label("Email").fill("agent@support.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=re.compile("^All open")).click()
    assert page.get_by_role(
        "link", name=re.compile("Webhook deliveries delayed")
    ).is_visible()
    shoot(page, "queue-narrow")
    page.get_by_role("link", name=re.compile("Webhook deliveries delayed")).click()
    assert page.get_by_label("Reply to customer").is_visible()
    shoot(page, "ticket-narrow")


def expect_url(page, pattern: str) -> None:
    page.wait_for_url(re.compile(pattern))
