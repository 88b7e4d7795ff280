"""The owner invites authors by email; the invited person picks a username and password."""

import re

from sqlalchemy import select
from support import csrf_from, login

from myblog.extensions import db
from myblog.models import OutboxEmail, Role, User


def invite(client, email="new.author@example.com", role="author"):
    token = csrf_from(client, "/admin/users")
    return client.post(
        "/admin/users/invite",
        data={"invite-csrf_token": token, "invite-email": email, "invite-role": role},
    )


def invitation_link(app) -> str:
    with app.app_context():
        (mail,) = db.session.scalars(select(OutboxEmail)).all()
        assert mail.to == "new.author@example.com"
        assert mail.subject == "owner invites you to write on Test Blog"
        return re.search(r"http://localhost(/auth/invite/\S+)", mail.text_body).group(1)


def accept(client, link, username="newbie", password="newbie-password"):
    token = csrf_from(client, link)
    data = {"csrf_token": token, "username": username, "password": password, "confirm": password}
    return client.post(link, data=data)


def test_invited_author_creates_an_account_once(app, client):
    login(client)
    assert invite(client).status_code == 302
    link = invitation_link(app)

    guest = app.test_client()
    page = guest.get(link).get_data(as_text=True)
    assert "new.author@example.com" in page and "author" in page
    response = accept(guest, link)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/posts/new")
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "newbie")).one()
        assert (user.email, user.role) == ("new.author@example.com", Role.AUTHOR)

    second = app.test_client().get(link)
    assert second.status_code == 400
    assert "already been used" in second.get_data(as_text=True)


def test_invitation_to_an_existing_address_is_refused(app, client):
    login(client)
    response = invite(client, email="owner@example.com")
    assert response.status_code == 400
    assert "already has an account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []


def test_bad_role_and_forged_or_expired_links(make_app):
    app = make_app(MYBLOG_INVITE_TOKEN_SECONDS=-1)
    client = app.test_client()
    login(client)
    assert invite(client, role="owner").status_code == 400
    assert invite(client).status_code == 302
    expired = app.test_client().get(invitation_link(app))
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    forged = app.test_client().get("/auth/invite/forged")
    assert forged.status_code == 400
    assert "not valid" in forged.get_data(as_text=True)


def test_taken_username_is_a_form_error(app, client):
    login(client)
    invite(client)
    link = invitation_link(app)
    guest = app.test_client()
    response = accept(guest, link, username="owner")
    assert response.status_code == 200
    assert "already in use" in response.get_data(as_text=True)


def test_authors_cannot_invite(app, client, factory):
    factory.user("fay", password="fay-password")
    login(client, "fay", "fay-password")
    token = csrf_from(client, "/admin/posts/new")
    response = client.post(
        "/admin/users/invite",
        data={"invite-csrf_token": token, "invite-email": "x@example.com", "invite-role": "author"},
    )
    assert response.status_code == 403
