"""A signed-in user changes their own password: the current one first, other devices signed out."""

from __future__ import annotations

import re

import pytest
from support import OWNER_PASSWORD, login, post_form
from test_sessions import NEW_PASSWORD, replay, signed_in, signed_in_with_remember_me, stolen

CHANGE = "/admin/account/password"


def change(client, current: str, new: str, confirm: str | None = None):
    data = {"current": current, "password": new, "confirm": confirm or new}
    return post_form(client, CHANGE, data, token_from="/admin/account")


def test_the_account_page_offers_a_password_change(client):
    login(client)
    page = client.get("/admin/account").get_data(as_text=True)
    assert f'action="{CHANGE}"' in page and 'name="current"' in page


def test_a_changed_password_signs_in_and_the_old_one_no_longer_does(app):
    owner = signed_in_with_remember_me(app)
    other_device = replay(app, stolen(owner, "session", "remember_token"))
    assert signed_in(other_device)
    response = change(owner, OWNER_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/account"
    assert signed_in(owner), "this browser stays signed in"
    assert not signed_in(other_device), "every other session has ended"
    fresh = app.test_client()
    assert (
        post_form(fresh, "/auth/login", {"login": "owner", "password": OWNER_PASSWORD}).status_code
        == 401
    )
    login(app.test_client(), password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("not-my-password", NEW_PASSWORD, None, "The current password is not right."),
        (OWNER_PASSWORD, "password", None, "most common"),
        (OWNER_PASSWORD, "short", None, "between 8"),
        (OWNER_PASSWORD, NEW_PASSWORD, "something-else", "Passwords differ."),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(app, current, new, confirm, message):
    owner = app.test_client()
    login(owner)
    response = change(owner, current, new, confirm)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert signed_in(owner)
    login(app.test_client())  # the old password still works


def test_password_fields_tell_password_managers_what_they_are(client):
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert re.search(
        r'name="login"[^>]*autocomplete="username"|autocomplete="username"[^>]*name="login"',
        login_page,
    )
    assert 'autocomplete="current-password"' in login_page
    login(client)
    account = client.get("/admin/account").get_data(as_text=True)
    assert account.count('autocomplete="new-password"') == 2  # new password, repeated
    assert account.count('autocomplete="current-password"') == 2  # email change, password change
