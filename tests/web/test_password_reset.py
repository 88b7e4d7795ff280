"""Password reset by email: same answer for every address, a signed link that works once."""

import re

from sqlalchemy import select
from support import OWNER_PASSWORD, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail


def outbox_rows(app):
    with app.app_context():
        return [
            (m.to, m.subject, m.text_body, m.html_body)
            for m in db.session.scalars(select(OutboxEmail))
        ]


def reset_link(app) -> str:
    (row,) = outbox_rows(app)
    match = re.search(r"http://localhost(/auth/reset/\S+)", row[2])
    assert match, row[2]
    assert match.group(1) in row[3]  # the HTML part carries the same link
    return match.group(1)


def test_login_page_links_to_reset(client):
    assert 'href="/auth/reset"' in client.get("/auth/login").get_data(as_text=True)


def test_unknown_address_gets_the_same_answer_and_no_mail(app, client):
    response = post_form(
        client, "/auth/reset", {"email": "nobody@example.com"}, follow_redirects=True
    )
    assert "If that address belongs to an account" in response.get_data(as_text=True)
    assert outbox_rows(app) == []


def test_reset_mail_goes_to_the_account_and_the_link_works_once(app, client):
    response = post_form(
        client, "/auth/reset", {"email": "OWNER@example.com"}, follow_redirects=True
    )
    assert "If that address belongs to an account" in response.get_data(as_text=True)
    (row,) = outbox_rows(app)
    assert row[0] == "owner@example.com"
    assert row[1] == "Reset your password for Test Blog"
    link = reset_link(app)

    assert client.get(link).status_code == 200
    changed = post_form(client, link, {"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert changed.status_code == 302
    login(client, "owner", "brand-new-pass")

    other = app.test_client()
    again = post_form(other, link, {"password": "another-pass1", "confirm": "another-pass1"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_old_password_stops_working_after_reset(app, client):
    post_form(client, "/auth/reset", {"email": "owner@example.com"})
    post_form(client, reset_link(app), {"password": "brand-new-pass", "confirm": "brand-new-pass"})
    response = post_form(
        app.test_client(), "/auth/login", {"login": "owner", "password": OWNER_PASSWORD}
    )
    assert response.status_code == 401


def test_forged_and_expired_links_are_refused(make_app):
    app = make_app(MYBLOG_RESET_TOKEN_SECONDS=-1)
    client = app.test_client()
    post_form(client, "/auth/reset", {"email": "owner@example.com"})
    link = reset_link(app)
    expired = post_form(client, link, {"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    forged = post_form(
        client,
        "/auth/reset/not-a-token",
        {"password": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert forged.status_code == 400
    assert "not valid" in forged.get_data(as_text=True)


def test_bad_input_gets_form_errors(client):
    response = post_form(client, "/auth/reset", {"email": "not-an-email"})
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    short = post_form(client, "/auth/reset/whatever", {"password": "short", "confirm": "short"})
    assert short.status_code == 200
    assert "is-invalid" in short.get_data(as_text=True)


def test_reset_requests_are_rate_limited(make_app):
    client = make_app(MYBLOG_RESET_LIMIT="2 per hour").test_client()
    codes = [
        post_form(client, "/auth/reset", {"email": "x@example.com"}).status_code for _ in range(3)
    ]
    assert codes == [302, 302, 429]
