"""The owner adds authors; authors cannot manage users; roles shape what each one sees."""

from sqlalchemy import select
from support import login, post_form

from myblog.extensions import db
from myblog.models import Role, User


def test_owner_adds_an_author_who_can_then_log_in(app, client):
    login(client)
    response = post_form(
        client,
        "/admin/users",
        {
            "username": "bob",
            "email": "bob@example.com",
            "password": "bobs-password",
            "role": "author",
        },
    )
    assert response.status_code == 302
    assert "bob@example.com" in client.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        bob = db.session.scalars(select(User).where(User.username == "bob")).one()
        assert bob.role is Role.AUTHOR
        assert bob.password_hash != "bobs-password"
    other = app.test_client()
    login(other, "bob", "bobs-password")
    assert other.get("/admin/").status_code == 200


def test_duplicate_user_gets_a_form_error(client):
    login(client)
    response = post_form(
        client,
        "/admin/users",
        {
            "username": "OWNER",
            "email": "x@example.com",
            "password": "long-enough",
            "role": "admin",
        },
    )
    assert response.status_code == 200
    assert "already in use" in response.get_data(as_text=True)


def test_bad_role_is_refused(client):
    login(client)
    response = post_form(
        client,
        "/admin/users",
        {
            "username": "eve",
            "email": "eve@example.com",
            "password": "long-enough",
            "role": "owner",
        },
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_author_cannot_manage_users(client, factory):
    factory.user("carol", password="carol-password")
    login(client, "carol", "carol-password")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
