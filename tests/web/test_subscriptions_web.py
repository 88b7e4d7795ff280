"""Request tests for subscribing, confirming and unsubscribing (RFC 8058 one-click too)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select
from support import login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, Post, Subscriber
from myblog.models.types import utcnow
from myblog.services.subscriptions import unsubscribe_token

THANKS = "Unless this address is subscribed already, a message is on its way"


def outbox(app, to: str | None = None) -> list[tuple[str, str, str, dict[str, str]]]:
    """(to, text, html, headers) of every queued mail, optionally only those to one address."""
    with app.app_context():
        query = select(OutboxEmail).order_by(OutboxEmail.id)
        if to is not None:
            query = query.where(OutboxEmail.to == to)
        return [
            (m.to, m.text_body, m.html_body or "", json.loads(m.headers))
            for m in db.session.scalars(query)
        ]


def state(app, email: str) -> str | None:
    """'confirmed', 'pending', or None when the address is not on the list."""
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        if row is None:
            return None
        return "confirmed" if row.confirmed_at else "pending"


def add_confirmed(app, *emails: str) -> None:
    with app.app_context():
        for email in emails:
            db.session.add(Subscriber(email=email, confirmed_at=utcnow()))
        db.session.commit()


def path_in(text: str, prefix: str) -> str:
    match = re.search(r"http://localhost(" + re.escape(prefix) + r"[\w.-]+)", text)
    assert match, text
    return match.group(1)


def confirm_path(app, to: str) -> str:
    (row,) = outbox(app, to)
    path = path_in(row[1], "/subscribe/confirm/")
    assert f"http://localhost{path}" in row[2]  # the HTML part has the same link
    return path


def unsubscribe_path(app, email: str) -> str:
    with app.app_context():
        return f"/unsubscribe/{unsubscribe_token(email)}"


def lead(response) -> str:
    match = re.search(r'<p class="lead"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
    assert match, response.get_data(as_text=True)
    return " ".join(match.group(1).split())


# -- subscribing -----------------------------------------------------------------------------


def test_every_page_links_to_the_subscribe_page(client):
    assert 'href="/subscribe"' in client.get("/").get_data(as_text=True)


def test_the_subscribe_page_has_a_form_with_a_csrf_token(client):
    response = client.get("/subscribe")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'name="csrf_token"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_subscribing_mails_a_confirmation_and_answers_the_same_for_everyone(app, client):
    add_confirmed(app, "known@example.com")
    for address in ("New@Example.com", "known@example.com", "new@example.com"):
        response = post_form(client, "/subscribe", {"email": address})
        assert response.status_code == 302
        assert response.headers["Location"] == "/subscribe"
        assert THANKS in client.get("/subscribe").get_data(as_text=True)
    assert state(app, "new@example.com") == "pending"
    assert [row[0] for row in outbox(app)] == ["new@example.com"]  # one mail: throttled, known


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("not-an-email", "Invalid email address."),
        ("a@b", "Invalid email address."),
        ("", "This field is required."),
        ("x" * 300 + "@example.com", "Field cannot be longer than 254 characters."),
    ],
)
def test_a_malformed_address_gets_a_form_error(app, client, bad, message):
    response = post_form(client, "/subscribe", {"email": bad})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "is-invalid" in html
    assert f'<div class="invalid-feedback">{message}</div>' in html
    assert THANKS not in html
    assert outbox(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Subscriber.id))) == 0


def test_subscribing_needs_the_csrf_token(app, client):
    response = client.post("/subscribe", data={"email": "r@example.com"})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert outbox(app) == []


def test_subscribing_is_rate_limited_per_address(make_app):
    app = make_app(MYBLOG_SUBSCRIBE_LIMIT="2 per hour")
    client = app.test_client()
    codes = [
        post_form(client, "/subscribe", {"email": f"r{i}@example.com"}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    limited = post_form(client, "/subscribe", {"email": "r9@example.com"})
    assert limited.status_code == 429
    assert "Too many requests" in limited.get_data(as_text=True)
    assert client.get("/subscribe").status_code == 200  # only POST is limited


# -- confirming ------------------------------------------------------------------------------


def test_the_confirmation_link_confirms_then_says_already_confirmed(app, client):
    post_form(client, "/subscribe", {"email": "r@example.com"})
    path = confirm_path(app, "r@example.com")
    reader = app.test_client()  # the mail is opened elsewhere: no session needed
    first = reader.get(path)
    assert first.status_code == 200
    assert lead(first) == "New posts will be mailed to r@example.com."
    assert state(app, "r@example.com") == "confirmed"
    again = reader.get(path)
    assert again.status_code == 200
    assert lead(again) == "r@example.com is already subscribed."
    assert "Set-Cookie" not in again.headers


def test_forged_confirmation_links_get_a_400_with_a_message(app, client):
    post_form(client, "/subscribe", {"email": "r@example.com"})
    path = confirm_path(app, "r@example.com")
    wrong_purpose = unsubscribe_path(app, "r@example.com").replace(
        "/unsubscribe/", "/subscribe/confirm/"
    )
    for bad in (path[:-3] + "abc", "/subscribe/confirm/nonsense", wrong_purpose):
        response = client.get(bad)
        assert response.status_code == 400
        assert lead(response) == "This link is not valid."
        assert 'href="/subscribe"' in response.get_data(as_text=True)
    assert state(app, "r@example.com") == "pending"


def test_an_expired_confirmation_link_gets_a_400_with_a_message(make_app):
    app = make_app(MYBLOG_SUBSCRIBE_TOKEN_SECONDS=-1)
    client = app.test_client()
    post_form(client, "/subscribe", {"email": "r@example.com"})
    response = client.get(confirm_path(app, "r@example.com"))
    assert response.status_code == 400
    assert "expired" in lead(response)
    assert state(app, "r@example.com") == "pending"


def test_a_confirmation_link_after_unsubscribing_gets_a_400_with_a_message(app, client):
    post_form(client, "/subscribe", {"email": "r@example.com"})
    path = confirm_path(app, "r@example.com")
    client.post(unsubscribe_path(app, "r@example.com"))
    response = client.get(path)
    assert response.status_code == 400
    assert "Subscribe again" in lead(response)


# -- unsubscribing ---------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_first_and_a_get_changes_nothing(app):
    add_confirmed(app, "r@example.com")
    path = unsubscribe_path(app, "r@example.com")
    reader = app.test_client()
    for method in (reader.get, reader.head):
        response = method(path)
        assert response.status_code == 200
        assert state(app, "r@example.com") == "confirmed"
    html = reader.get(path).get_data(as_text=True)
    assert f'<form method="post" action="{path}"' in html
    assert "Unsubscribe r@example.com" in html
    assert "Set-Cookie" not in reader.get(path).headers


def test_the_button_unsubscribes_without_a_session_or_csrf_token(app):
    add_confirmed(app, "r@example.com", "other@example.com")
    path = unsubscribe_path(app, "r@example.com")
    response = app.test_client(use_cookies=False).post(path)
    assert response.status_code == 200
    assert lead(response) == "r@example.com will get no more mail about new posts."
    assert state(app, "r@example.com") is None
    assert state(app, "other@example.com") == "confirmed"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("as_multipart", [False, True])
def test_an_rfc_8058_one_click_post_unsubscribes(app, as_multipart):
    add_confirmed(app, "r@example.com")
    mail_client = app.test_client(use_cookies=False)
    path = unsubscribe_path(app, "r@example.com")
    if as_multipart:
        response = mail_client.post(
            path, data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data"
        )
    else:
        response = mail_client.post(
            path,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    assert state(app, "r@example.com") is None


def test_unsubscribing_twice_or_an_unknown_address_says_so(app):
    add_confirmed(app, "r@example.com")
    client = app.test_client()
    path = unsubscribe_path(app, "r@example.com")
    assert client.post(path).status_code == 200
    again = client.post(path)
    assert again.status_code == 200
    assert "not subscribed (any more)" in lead(again)
    unknown = client.get(unsubscribe_path(app, "nobody@example.com"))
    assert unknown.status_code == 200
    assert "nobody@example.com is not subscribed (any more)" in lead(unknown)
    main = unknown.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]
    assert "<form" not in main


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_unsubscribe_links_get_a_400_with_a_message(app, method):
    add_confirmed(app, "r@example.com")
    path = unsubscribe_path(app, "r@example.com")
    client = app.test_client()
    for bad in (path[:-3] + "abc", "/unsubscribe/%00%ff", "/unsubscribe/" + "a" * 5000):
        response = getattr(client, method)(bad)
        assert response.status_code == 400
        assert lead(response) == "This link is not valid."
        assert "more recent message" in response.get_data(as_text=True)
    assert state(app, "r@example.com") == "confirmed"


def test_an_expired_unsubscribe_link_gets_a_400_with_a_message(make_app):
    app = make_app(MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS=-1)
    add_confirmed(app, "r@example.com")
    response = app.test_client().post(unsubscribe_path(app, "r@example.com"))
    assert response.status_code == 400
    assert "expired" in lead(response)
    assert state(app, "r@example.com") == "confirmed"


def test_other_methods_are_refused(app):
    path = unsubscribe_path(app, "r@example.com")
    assert app.test_client().put(path).status_code == 405
    assert app.test_client().delete("/subscribe").status_code == 405


# -- the whole flow through the editor -------------------------------------------------------


def editor(**fields: str) -> dict[str, str]:
    data = {
        "title": "Fresh news",
        "slug": "",
        "body": "The *first* paragraph.",
        "category_id": "0",
        "tags": "",
        "status": "published",
        "published_at": "",
        "allow_comments": "y",
    }
    data.update(fields)
    return data


def test_publishing_in_the_editor_mails_subscribers_who_can_unsubscribe(app, client):
    reader = app.test_client()
    post_form(reader, "/subscribe", {"email": "reader@example.com"})
    post_form(reader, "/subscribe", {"email": "pending@example.com"})
    reader.get(confirm_path(app, "reader@example.com"))
    login(client)

    draft = post_form(client, "/admin/posts/new", editor(title="Draft", status="draft"))
    assert draft.status_code == 302
    assert len(outbox(app)) == 2  # the two confirmations only

    response = post_form(client, "/admin/posts/new", editor())
    assert response.status_code == 302
    (mail,) = outbox(app, "reader@example.com")[1:]
    to, text, html, headers = mail
    assert "Fresh news" in text and "The first paragraph." in text
    assert "http://localhost/post/fresh-news" in text and "http://localhost/post/fresh-news" in html
    unsubscribe = path_in(text, "/unsubscribe/")
    assert f"http://localhost{unsubscribe}" in html
    assert headers["List-Unsubscribe"] == f"<http://localhost{unsubscribe}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == "Test Blog <posts.localhost>"
    assert len(outbox(app, "pending@example.com")) == 1  # never confirmed: no post mail

    # editing the published post does not mail anyone again
    post_id = int(response.headers["Location"].split("/")[-2])
    edit = f"/admin/posts/{post_id}/edit"
    assert post_form(client, edit, editor(title="Fresh news, fixed")).status_code == 302
    assert len(outbox(app)) == 3
    with app.app_context():
        assert db.session.get(Post, post_id).announced_at is not None

    # the mail client's one-click POST to the List-Unsubscribe address
    one_click = app.test_client(use_cookies=False).post(
        unsubscribe, data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    assert state(app, "reader@example.com") is None
    assert post_form(client, "/admin/posts/new", editor(title="Second")).status_code == 302
    assert len(outbox(app)) == 3


def test_a_scheduled_post_from_the_editor_waits_for_its_time(app, client):
    add_confirmed(app, "reader@example.com")
    login(client)
    response = post_form(
        client, "/admin/posts/new", editor(status="scheduled", published_at="2999-01-01T09:00")
    )
    assert response.status_code == 302
    assert outbox(app) == []
