"""Ending sessions: logout, a new password and "log out everywhere" end every copy of a
session, proved by replaying the cookies of one browser in another."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from support import OWNER_PASSWORD, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, User
from myblog.services.accounts import AccountError, change_password

SESSION, REMEMBER = "session", "remember_token"
NEW_PASSWORD = "a-brand-new-passphrase"


def signed_in_with_remember_me(app, username: str = "owner", password: str = OWNER_PASSWORD):
    client = app.test_client()
    response = post_form(
        client, "/auth/login", {"login": username, "password": password, "remember": "y"}
    )
    assert response.status_code == 302
    assert client.get_cookie(SESSION) and client.get_cookie(REMEMBER)
    return client


def stolen(client: FlaskClient, *names: str) -> dict[str, str]:
    """The values of `client`'s cookies `names`, as an attacker would copy them."""
    values = {}
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        values[name] = cookie.value
    return values


def replay(app, cookies: dict[str, str]) -> FlaskClient:
    """A new browser holding copied cookies."""
    copy = app.test_client()
    for name, value in cookies.items():
        copy.set_cookie(name, value)
    return copy


def signed_in(client: FlaskClient) -> bool:
    return client.get("/admin/").status_code == 200


def log_out(app, client: FlaskClient) -> None:
    response = post_form(client, "/auth/logout", {}, token_from="/")
    assert response.status_code == 302


def reset_password_by_mail(app, client: FlaskClient) -> None:
    # another browser asks for the link: the victim's own sessions are not involved
    stranger = app.test_client()
    post_form(stranger, "/auth/reset", {"email": "owner@example.com"})
    with app.app_context():
        body = db.session.scalars(select(OutboxEmail.text_body)).one()
    link = re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)
    response = post_form(stranger, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def log_out_everywhere(app, client: FlaskClient) -> None:
    response = post_form(
        client, "/admin/account/log-out-everywhere", {}, token_from="/admin/account"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


ENDINGS = {"logout": log_out, "password reset": reset_password_by_mail}
ENDINGS["log out everywhere"] = log_out_everywhere


@pytest.mark.parametrize("names", [(SESSION,), (REMEMBER,), (SESSION, REMEMBER)])
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_copied_cookies_stop_working(app, ending, names):
    victim = signed_in_with_remember_me(app)
    cookies = stolen(victim, *names)
    in_use = replay(app, cookies)
    assert signed_in(in_use), "the copy works while the session lasts"
    assert signed_in(victim)

    ENDINGS[ending](app, victim)

    assert not signed_in(replay(app, cookies)), "the copied cookies sign nobody in"
    assert not signed_in(in_use), "a copy already in use is ended too"
    assert not signed_in(victim)


def test_logout_ends_the_sessions_of_that_user_only(app, factory):
    factory.user("alice", password="alices-own-passphrase")
    owner = signed_in_with_remember_me(app)
    alice = signed_in_with_remember_me(app, "alice", "alices-own-passphrase")
    log_out(app, owner)
    assert signed_in(alice)
    assert not signed_in(owner)
    login(owner)  # and the owner can log in again at once
    assert signed_in(owner)


def test_after_log_out_everywhere_this_browser_logs_in_again(app):
    client = signed_in_with_remember_me(app)
    log_out_everywhere(app, client)
    page = client.get("/auth/login").get_data(as_text=True)
    assert "You are logged out everywhere" in page
    assert not signed_in(client)
    login(client)
    assert signed_in(client)


def test_account_page_offers_log_out_everywhere(client):
    login(client)
    page = client.get("/admin/account").get_data(as_text=True)
    assert 'action="/admin/account/log-out-everywhere"' in page
    assert "Log out everywhere" in page


def test_log_out_everywhere_is_post_only_with_csrf(client):
    login(client)
    assert client.get("/admin/account/log-out-everywhere").status_code == 405
    assert client.post("/admin/account/log-out-everywhere").status_code == 400
    forged = client.post("/admin/account/log-out-everywhere", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert signed_in(client)


def test_log_out_everywhere_needs_a_signed_in_user(client):
    response = post_form(client, "/admin/account/log-out-everywhere", {}, token_from="/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_change_password_sets_the_password_and_ends_every_session(app):
    client = signed_in_with_remember_me(app)
    with app.app_context():
        owner = db.session.scalars(select(User).where(User.username == "owner")).one()
        token = owner.session_token
        change_password(owner, NEW_PASSWORD)
        assert owner.session_token != token
        assert owner.check_password(NEW_PASSWORD)
    assert not signed_in(client)
    login(client, "owner", NEW_PASSWORD)


@pytest.mark.parametrize("password", ["short", "password", "Baseball1  "])
def test_change_password_refuses_a_weak_one_and_keeps_the_sessions(app, password):
    client = signed_in_with_remember_me(app)
    with app.app_context():
        owner = db.session.scalars(select(User).where(User.username == "owner")).one()
        with pytest.raises(AccountError):
            change_password(owner, password)
        db.session.rollback()
    assert signed_in(client)
    login(app.test_client())  # the old password still works


def test_a_cookie_from_before_session_tokens_signs_nobody_in(client):
    # such cookies carried only the user's id
    with client.session_transaction() as session:
        session["_user_id"] = "1"
    assert not signed_in(client)


@pytest.mark.parametrize("user_id", ["1:", "1:not-the-token", "x:y", "1:ü", ":", "", "1"])
def test_a_forged_user_id_signs_nobody_in(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    assert not signed_in(client)


def test_an_account_without_a_session_token_gets_one_when_logging_in(app, client):
    with app.app_context():
        db.session.execute(update(User).values(session_token=None))
        db.session.commit()
    login(client)
    assert signed_in(client)
    with app.app_context():
        assert db.session.scalars(select(User.session_token)).one()


def remember_cookie_expiry(app) -> datetime:
    response = post_form(
        app.test_client(),
        "/auth/login",
        {"login": "owner", "password": OWNER_PASSWORD, "remember": "y"},
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    expires = re.search(r"Expires=([^;]+)", header).group(1)
    return datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)


def test_remember_me_lasts_two_weeks_not_a_year(app):
    left = remember_cookie_expiry(app) - datetime.now(UTC)
    assert timedelta(days=13, hours=23) < left <= timedelta(days=14)


def test_remember_me_duration_is_a_setting(make_app):
    app = make_app(REMEMBER_COOKIE_DURATION=timedelta(days=3))
    left = remember_cookie_expiry(app) - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)
