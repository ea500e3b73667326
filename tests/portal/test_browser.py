"""A person with no account: submit with a file, confirm, open the link, reply."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from slaengine.models import Message, OutboxMessage
from tests.portal.conftest import TOKEN_URL

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-{name}.png"), full_page=True)


def test_submit_confirm_open_link_and_reply(page, live_server, database, tmp_path):
    log = tmp_path / "checkout.log"
    log.write_text("2026-12-02T09:00:01Z POST /pay 502 Bad Gateway\n")

    page.goto(f"{live_server}/")
    shot(page, "1-form")
    page.get_by_role("button", name="Send request").click()
    assert page.locator("#name-error").inner_text() == "This field is required."
    shot(page, "2-form-errors")

    page.get_by_label("Your name").fill("Pat Doe")
    page.get_by_label("Email address").fill("pat@customer.example")
    page.get_by_label("Organization").fill("Customer Ltd")
    page.get_by_label("Significant degradation").check()
    page.get_by_label("Product area").select_option("web_app")
    page.get_by_label("Subject").fill("Checkout fails with 502")
    page.get_by_label("Description").fill("Every payment returns 502 since 09:00 UTC.")
    page.get_by_label("Attachments").set_input_files(str(log))
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url("**/submitted")
    text = page.locator("main").inner_text()
    assert "Thank you. Your ticket is #" in text
    assert "An engineer will acknowledge within 1 hour, around the clock." in text
    shot(page, "3-confirmation")

    with database.session() as session:
        email = session.scalars(select(OutboxMessage)).one()
    link = TOKEN_URL.search(email.body).group(0)
    page.goto(f"{live_server}{link}")
    assert page.get_by_role("heading", name="Checkout fails with 502").is_visible()
    assert page.get_by_role("link", name="checkout.log").is_visible()
    shot(page, "4-ticket")

    page.get_by_label("Your message").fill("It fails on mobile too.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_load_state()
    messages = page.locator(".message-body").all_inner_texts()
    assert messages[-1] == "It fails on mobile too."
    shot(page, "5-after-reply")

    with database.session() as session:
        bodies = session.scalars(select(Message.body_text).order_by(Message.id)).all()
    assert bodies[-1] == "It fails on mobile too."


def test_bad_link_page_is_polite(page, live_server):
    page.goto(f"{live_server}/t/forged.token")

    assert page.get_by_role("heading", name="We could not find that page").is_visible()
    shot(page, "6-bad-link")
