"""Sign-in, sign-out, lock-out, session cookie and CSRF."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from slaengine.clock import utcnow
from slaengine.models import User
from slaengine.signin import MAX_FAILURES
from tests.agent.conftest import client_as, csrf_from, sign_in, token


def test_login_page_has_labelled_fields(client, seed):
    page = client.get("/agent/login")
    assert page.status_code == 200
    assert '<label for="email">Email</label>' in page.text
    assert '<label for="password">Password</label>' in page.text


def test_signing_in_opens_my_queue(client, seed):
    response = sign_in(client, "agent@support.example")
    assert response.status_code == 302
    assert response.location == "/agent/"
    assert (
        client.get("/agent/", follow_redirects=True).request.path
        == "/agent/queues/mine"
    )


def test_next_is_followed_only_inside_the_workspace(client, seed):
    login = csrf_from(client.get("/agent/login").text)
    response = client.post(
        "/agent/login",
        data={
            "email": "agent@support.example",
            "password": "correct horse",
            "csrf_token": login,
            "next": "https://evil.example/agent",
        },
    )
    assert response.location == "/agent/"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, seed):
    wrong = sign_in(client, "agent@support.example", "wrong password")
    unknown = sign_in(client, "nobody@support.example", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    message = "the email address or password is not right"
    assert message in wrong.text
    assert message in unknown.text
    assert 'value="agent@support.example"' in wrong.text


def test_repeated_failures_lock_the_account(client, database, seed):
    for _ in range(MAX_FAILURES):
        sign_in(client, "agent@support.example", "wrong password")
    refused = sign_in(client, "agent@support.example")
    assert refused.status_code == 401
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "agent@support.example"))
        assert user.locked_until > utcnow() + timedelta(minutes=14)


def test_a_correct_password_resets_the_failure_count(client, database, seed):
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "agent@support.example", "wrong password")
    assert sign_in(client, "agent@support.example").status_code == 302
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "agent@support.example"))
        assert user.failed_logins == 0


def test_deactivated_staff_cannot_sign_in(client, database, seed):
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "agent@support.example"))
        user.active = False
    assert sign_in(client, "agent@support.example").status_code == 401


def test_workspace_needs_sign_in(client, seed):
    response = client.get("/agent/queues/all")
    assert response.status_code == 302
    assert response.location.startswith("/agent/login?next=")


def test_session_cookie_is_httponly_and_lax(client, seed):
    response = sign_in(client, "agent@support.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app, seed):
    client = app.test_client()
    page = client.get("/agent/login", base_url="https://localhost")
    response = client.post(
        "/agent/login",
        base_url="https://localhost",
        data={
            "email": "agent@support.example",
            "password": "correct horse",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_without_csrf_token_is_refused(client, seed):
    client.get("/agent/login")
    response = client.post(
        "/agent/login",
        data={"email": "agent@support.example", "password": "correct horse"},
    )
    assert response.status_code == 400
    assert "expired" in response.text


def test_sign_out_needs_the_token_and_ends_the_session(app, seed):
    client = client_as(app, "agent@support.example")
    assert client.post("/agent/logout").status_code == 400
    response = client.post("/agent/logout", data={"csrf_token": token(client)})
    assert response.location == "/agent/login"
    assert client.get("/agent/queues/mine").status_code == 302
