"""Changing the account's email: confirmed from the new address, once, never by a stranger."""

import re

from sqlalchemy import select
from support import OWNER_PASSWORD, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, User


def mails(app):
    with app.app_context():
        return [(m.to, m.subject, m.text_body) for m in db.session.scalars(select(OutboxEmail))]


def owner_email(app) -> str:
    with app.app_context():
        return db.session.scalars(select(User.email).where(User.username == "owner")).one()


def ask(client, email="new@example.com", password=OWNER_PASSWORD):
    return post_form(client, "/admin/account", {"email": email, "password": password})


def test_change_is_confirmed_from_the_new_address(app, client):
    login(client)
    assert ask(client).status_code == 302
    ((to, subject, body),) = mails(app)
    assert (to, subject) == ("new@example.com", "Confirm your new email address for Test Blog")
    assert owner_email(app) == "owner@example.com"  # nothing changes before the link is opened
    link = re.search(r"http://localhost(/auth/confirm-email/\S+)", body).group(1)
    assert client.get(link).status_code == 302
    assert owner_email(app) == "new@example.com"
    again = client.get(link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_wrong_password_taken_address_and_same_address_are_refused(app, client, factory):
    factory.user("erin")
    login(client)
    for email, password, message in [
        ("new@example.com", "wrong-password", "The password is not right."),
        ("erin@example.com", OWNER_PASSWORD, "already used by another account"),
        ("owner@example.com", OWNER_PASSWORD, "already your address"),
    ]:
        response = ask(client, email, password)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert mails(app) == []


def test_forged_link_and_anonymous_visitor(app, client):
    assert client.get("/auth/confirm-email/forged").status_code == 302  # to the login page
    login(client)
    response = client.get("/auth/confirm-email/forged")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert owner_email(app) == "owner@example.com"
