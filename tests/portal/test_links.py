"""Private links: valid, expired, revoked, tampered, forged; asking again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from slaengine.models import OutboxMessage, PortalLink
from slaengine.portal import hash_token, revoke_link
from tests.portal.conftest import TOKEN_URL
from tests.timepoints import utc


def test_valid_link_opens_the_ticket(portal):
    token, ticket_id = portal.submit_and_follow(subject="Invoices missing")

    response = portal.get(f"/t/{token}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"#{ticket_id}" in page
    assert "Invoices missing" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_only_the_hash_of_the_token_is_stored(portal, database):
    token, _ = portal.submit_and_follow()

    with database.session() as session:
        link = session.scalars(select(PortalLink)).one()
    assert link.token_hash == hash_token(token)
    assert token not in link.token_hash


def test_expired_link_says_so_and_offers_a_new_one(frozen_clock, portal, app):
    app.config["PORTAL_LINK_LIFETIME_DAYS"] = 7
    token, _ = portal.submit_and_follow()

    frozen_clock.tick(timedelta(days=7, seconds=1))
    response = portal.get(f"/t/{token}")

    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert "Get a new link" in response.get_data(as_text=True)


def test_link_still_works_just_before_expiry(frozen_clock, portal, app):
    app.config["PORTAL_LINK_LIFETIME_DAYS"] = 7
    token, _ = portal.submit_and_follow()

    frozen_clock.tick(timedelta(days=7, seconds=-1))

    assert portal.get(f"/t/{token}").status_code == 200


def test_revoked_link_is_not_found(portal, database, app):
    token, _ = portal.submit_and_follow()
    with database.session() as session:
        revoke_link(
            session,
            token,
            secret_key=app.config["SECRET_KEY"],
            now=utc(2030, 1, 1, 0, 0),
        )

    response = portal.get(f"/t/{token}")

    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_tampered_and_forged_tokens_are_not_found(portal):
    token, _ = portal.submit_and_follow()
    nonce, _, signature = token.partition(".")
    tampered = [
        f"{nonce[:-1]}{'A' if nonce[-1] != 'A' else 'B'}.{signature}",
        f"{nonce}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        nonce,
        "forged.token",
        "x" * 300,
    ]

    for bad in tampered:
        response = portal.get(f"/t/{bad}")
        assert response.status_code == 404, bad
        assert "Pat Doe" not in response.get_data(as_text=True)


def test_a_token_signed_with_another_key_is_refused(portal, app):
    token, _ = portal.submit_and_follow()
    app.config["SECRET_KEY"] = "another deployment"

    assert portal.get(f"/t/{token}").status_code == 404


def test_re_request_sends_fresh_links_and_says_the_same_for_unknown(portal, database):
    old_token, _ = portal.submit_and_follow()
    known = portal.post("/link", {"email": "PAT@customer.example"})
    unknown = portal.post("/link", {"email": "nobody@nowhere.example"})

    assert known.status_code == unknown.status_code == 200
    sentence = "If we have open tickets for that address"
    assert sentence in known.get_data(as_text=True)
    assert sentence in unknown.get_data(as_text=True)
    with database.session() as session:
        mails = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.subject == "Your private links to your support tickets"
            )
        ).all()
    assert [mail.recipient for mail in mails] == ["pat@customer.example"]
    new_token = TOKEN_URL.search(mails[0].body).group(1)
    assert new_token != old_token
    assert portal.get(f"/t/{new_token}").status_code == 200
    assert portal.get(f"/t/{old_token}").status_code == 200


def test_re_request_with_a_malformed_address_names_the_field(portal, database):
    response = portal.post("/link", {"email": "not an address"})

    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
