"""Hostile input gets a clear, polite error and leaves nothing behind."""

from __future__ import annotations

import io

from sqlalchemy import select

from slaengine.models import Ticket
from tests.portal.conftest import VALID, attachment_files, stored_counts

NOTHING = {"tickets": 0, "attachments": 0, "outbox": 0}
SCRIPT = "<script>alert('x')</script>"


def test_missing_or_wrong_csrf_token_is_refused(portal, client, database):
    without = client.post("/", data=VALID)
    wrong = portal.post("/", {**VALID, "csrf_token": "guess"})

    for response in (without, wrong):
        assert response.status_code == 400
        assert (
            "This form has expired or did not come from this site"
            in response.get_data(as_text=True)
        )
    assert stored_counts(database) == NOTHING


def test_honeypot_is_refused(portal, database):
    response = portal.submit(website="http://spam.example")

    assert response.status_code == 400
    assert "a field that people leave empty" in response.get_data(as_text=True)
    assert stored_counts(database) == NOTHING


def test_script_tags_in_every_field_store_nothing(portal, database):
    hostile = dict.fromkeys(VALID, SCRIPT)

    response = portal.submit(**hostile)
    page = response.get_data(as_text=True)

    assert response.status_code == 422
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page
    assert 'id="name-error">Please leave out the characters &lt; and &gt;.' in page
    assert stored_counts(database) == NOTHING


def test_markup_in_the_text_is_kept_as_text_and_never_runs(portal, database):
    token, ticket_id = portal.submit_and_follow(
        subject=f"Broken {SCRIPT}", description=f"Our page shows {SCRIPT}"
    )

    page = portal.get(f"/t/{token}").get_data(as_text=True)

    assert SCRIPT not in page
    assert "Broken &lt;script&gt;" in page
    assert (
        "default-src 'self'"
        in portal.get(f"/t/{token}").headers["Content-Security-Policy"]
    )
    with database.session() as session:
        assert session.get(Ticket, ticket_id).subject == f"Broken {SCRIPT}"


def test_a_50_mb_upload_is_refused_before_it_is_read(portal, database, app):
    big = io.BytesIO(b"\0" * (50 * 1024 * 1024))

    response = portal.submit(attachments=[(big, "dump.zip")])

    assert response.status_code == 413
    assert "Your files are too large" in response.get_data(as_text=True)
    assert stored_counts(database) == NOTHING
    assert attachment_files(app) == []


def test_a_file_over_the_per_file_limit_names_the_field(portal, database, app):
    app.config["PORTAL_MAX_ATTACHMENT_BYTES"] = 1024 * 1024
    files = [
        (io.BytesIO(b"ok"), "small.txt"),
        (io.BytesIO(b"x" * (1024 * 1024 + 1)), "large.log"),
    ]

    response = portal.submit(attachments=files, subject="Keep me")
    page = response.get_data(as_text=True)

    assert response.status_code == 422
    assert "&#39;large.log&#39; is larger than the limit of 1 MB" in page
    assert 'value="Keep me"' in page
    assert stored_counts(database) == NOTHING
    assert attachment_files(app) == []


def test_refused_file_types_and_too_many_files(portal, database, app):
    exe = portal.submit(attachments=[(io.BytesIO(b"MZ"), "setup.exe")])
    many = portal.submit(
        attachments=[(io.BytesIO(b"x"), f"f{n}.txt") for n in range(6)]
    )

    assert exe.status_code == many.status_code == 422
    assert "is not a file type we accept" in exe.get_data(as_text=True)
    assert "At most 5 files per message" in many.get_data(as_text=True)
    assert stored_counts(database) == NOTHING
    assert attachment_files(app) == []


def test_flood_from_one_address_is_limited(portal, database, app):
    app.config["PORTAL_RATE_LIMIT_ADDRESS"] = "3 per hour"

    responses = [portal.submit(email=f"user{n}@flood.example") for n in range(6)]

    assert [r.status_code for r in responses] == [303, 303, 303, 429, 429, 429]
    assert "Please wait a little" in responses[-1].get_data(as_text=True)
    assert stored_counts(database)["tickets"] == 3


def test_flood_for_one_email_address_is_limited_across_clients(app, database):
    from tests.portal.conftest import PortalClient

    app.config["PORTAL_RATE_LIMIT_EMAIL"] = "2 per hour"
    results = []
    for n in range(4):
        client = PortalClient(app.test_client())
        results.append(
            client.post(
                "/",
                {**VALID, "email": "victim@target.example"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
            ).status_code
        )

    assert results == [303, 303, 429, 429]
    with database.session() as session:
        assert len(session.scalars(select(Ticket)).all()) == 2


def test_link_requests_are_rate_limited(portal, app):
    app.config["PORTAL_RATE_LIMIT_EMAIL"] = "2 per hour"

    codes = [
        portal.post("/link", {"email": "pat@customer.example"}).status_code
        for _ in range(3)
    ]

    assert codes == [200, 200, 429]
