"""Hardening: Permissions-Policy, CSRF tokens that expire (and the editor's fresh ones), old
secret keys during a rotation, and no common passwords."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from support import OWNER_PASSWORD, csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, User
from myblog.security import SECURITY_HEADERS
from myblog.services.passwords import TOO_COMMON

OLD_KEY = "old-secret-key-0123456789abcdef0123456789abcdef"
NEW_KEY = "new-secret-key-fedcba9876543210fedcba9876543210"

# --- Permissions-Policy ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/auth/login", "/api/health", "/no-such-page"])
def test_every_response_denies_powerful_browser_features(client, path):
    policy = client.get(path).headers["Permissions-Policy"]
    denied = {item.strip().removesuffix("=()") for item in policy.split(",")}
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= denied
    assert all(item.strip().endswith("=()") for item in policy.split(","))


def test_the_policy_is_one_of_the_security_headers():
    assert "Permissions-Policy" in SECURITY_HEADERS


# --- CSRF tokens expire -----------------------------------------------------------------------


@contextmanager
def signed_hours_ago(hours: float) -> Iterator[None]:
    """Tokens signed inside this block carry a time `hours` in the past."""
    real = TimestampSigner.get_timestamp
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - int(hours * 3600))
        yield


def csrf_token_from_hours_ago(app, client, hours: float) -> str:
    """The editor's CSRF token as a page served `hours` ago carried it (Flask-WTF signs the
    session's raw token with this salt)."""
    csrf_from(client, "/admin/posts/new")
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    with signed_hours_ago(hours):
        return serializer.dumps(raw)


def new_post(client, token: str, title: str = "Written all day"):
    data = {
        "csrf_token": token,
        "title": title,
        "body": "A long afternoon of *writing*.",
        "category_id": "0",
        "status": "draft",
        "allow_comments": "y",
    }
    return client.post("/admin/posts/new", data=data)


def test_csrf_tokens_expire_after_eight_hours_by_default(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 8 * 3600


def test_a_form_left_open_too_long_is_refused(app, client):
    login(client)
    token = csrf_token_from_hours_ago(app, client, 9)
    response = new_post(client, token)
    assert response.status_code == 400
    assert "The CSRF token has expired." in response.get_data(as_text=True)


def test_a_form_open_for_hours_still_saves(app, client):
    login(client)
    token = csrf_token_from_hours_ago(app, client, 7)
    assert new_post(client, token).status_code == 302


def test_the_editor_swaps_an_expired_token_for_a_fresh_one(app, client):
    # what editor.js does before saving: ask /api/csrf-token, put the answer in the form
    login(client)
    page = client.get("/admin/posts/new").get_data(as_text=True)
    assert 'data-token-url="/api/csrf-token"' in page
    assert 'data-token-seconds="28800"' in page
    expired = csrf_token_from_hours_ago(app, client, 9)
    assert new_post(client, expired).status_code == 400
    fresh = client.get("/api/csrf-token").get_json()["csrf_token"]
    assert fresh != expired
    assert new_post(client, fresh).status_code == 302
    preview = client.post("/api/preview", json={"markdown": "*hi*"}, headers={"X-CSRFToken": fresh})
    assert preview.status_code == 200


def test_the_comment_form_knows_when_its_token_gets_old(app, client, factory):
    [post_id] = factory.posts(1)
    with app.app_context():
        from myblog.models import Post

        slug = db.session.get(Post, post_id).slug
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert f'data-token-url="/api/csrf-token?post={post_id}"' in page
    assert 'data-token-seconds="28800"' in page


def test_the_csrf_lifetime_is_a_setting(make_app):
    app = make_app(WTF_CSRF_TIME_LIMIT=3600)
    client = app.test_client()
    login(client)
    token = csrf_token_from_hours_ago(app, client, 2)
    assert new_post(client, token).status_code == 400


# --- rotating SECRET_KEY ----------------------------------------------------------------------


@pytest.fixture
def rotation(make_app):
    """Three builds of one blog: before the rotation (OLD_KEY), during it (NEW_KEY with OLD_KEY
    as a fallback) and after it (NEW_KEY alone)."""
    before = make_app(SECRET_KEY=OLD_KEY)
    database = {"SQLALCHEMY_DATABASE_URI": before.config["SQLALCHEMY_DATABASE_URI"]}
    during = make_app(setup=False, SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY], **database)
    after = make_app(setup=False, SECRET_KEY=NEW_KEY, **database)
    return before, during, after


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def moved_to(app, client, *names: str):
    """A client of `app` holding `client`'s cookies `names` (the same browser, after a deploy)."""
    other = app.test_client()
    for name in names:
        other.set_cookie(name, client.get_cookie(name).value)
    return other


def test_sessions_survive_the_rotation_while_the_old_key_is_a_fallback(rotation):
    before, during, after = rotation
    client = before.test_client()
    login(client)
    assert signed_in(moved_to(during, client, "session"))
    assert not signed_in(moved_to(after, client, "session")), "the control: no fallback, no way"


def test_remember_me_survives_the_rotation_and_is_signed_again_with_the_new_key(rotation):
    before, during, after = rotation
    client = before.test_client()
    post_form(
        client, "/auth/login", {"login": "owner", "password": OWNER_PASSWORD, "remember": "y"}
    )
    assert not signed_in(moved_to(after, client, "remember_token"))

    browser = moved_to(during, client, "remember_token")
    response = browser.get("/admin/")
    assert response.status_code == 200
    assert any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))
    # the re-signed cookie works once the old key is gone
    assert signed_in(moved_to(after, browser, "remember_token"))


def test_a_form_served_before_the_rotation_can_be_sent_after_it(rotation):
    before, during, after = rotation
    client = before.test_client()
    login(client)
    token = csrf_from(client, "/admin/posts/new")
    assert new_post(moved_to(during, client, "session"), token).status_code == 302


def test_a_mailed_link_signed_with_the_old_key_still_works(rotation):
    before, during, after = rotation
    post_form(before.test_client(), "/auth/reset", {"email": "owner@example.com"})
    with before.app_context():
        body = db.session.scalars(select(OutboxEmail.text_body)).one()
    link = re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)
    data = {"password": "after-the-rotation", "confirm": "after-the-rotation"}
    assert post_form(after.test_client(), link, data).status_code == 400
    assert post_form(during.test_client(), link, data).status_code == 302


# --- common passwords -------------------------------------------------------------------------

COMMON = ["password", "Baseball1", "  qwertyuiop  ", "ILOVEYOU123"]


@pytest.mark.parametrize("password", COMMON)
def test_setup_refuses_a_common_password(make_app, password):
    app = make_app(setup=False)
    client = app.test_client()
    data = {"title": "T", "username": "me", "email": "me@example.com"}
    data |= {"password": password, "confirm": password}
    response = post_form(client, "/auth/setup", data)
    assert response.status_code == 200
    assert str(TOO_COMMON) in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_adding_a_user_refuses_a_common_password(app, client):
    login(client)
    data = {"username": "bob", "email": "bob@example.com", "password": "baseball", "role": "author"}
    response = post_form(client, "/admin/users", data)
    assert str(TOO_COMMON) in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_accepting_an_invitation_refuses_a_common_password(app, client):
    login(client)
    token = csrf_from(client, "/admin/users")
    client.post(
        "/admin/users/invite",
        data={
            "invite-csrf_token": token,
            "invite-email": "new@example.com",
            "invite-role": "author",
        },
    )
    with app.app_context():
        body = db.session.scalars(select(OutboxEmail.text_body)).one()
    link = re.search(r"http://localhost(/auth/invite/\S+)", body).group(1)
    guest = app.test_client()
    data = {"username": "newbie", "password": "superman", "confirm": "superman"}
    response = post_form(guest, link, data)
    assert str(TOO_COMMON) in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "newbie")) is None


def test_a_reset_refuses_a_common_password_and_the_link_still_works(app, client):
    post_form(client, "/auth/reset", {"email": "owner@example.com"})
    with app.app_context():
        body = db.session.scalars(select(OutboxEmail.text_body)).one()
    link = re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)
    refused = post_form(client, link, {"password": "12345678", "confirm": "12345678"})
    assert str(TOO_COMMON) in refused.get_data(as_text=True)
    login(app.test_client())  # the old password still works
    good = post_form(client, link, {"password": "tulips-in-march", "confirm": "tulips-in-march"})
    assert good.status_code == 302


def test_create_admin_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--username", "root", "--email", "r@example.com"]
        + ["--password", "password1"]
    )
    assert result.exit_code != 0
    assert str(TOO_COMMON) in result.output
