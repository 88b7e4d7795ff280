"""Request tests for the comment form under a post: CSRF without a session, anti-spam, replies."""

from __future__ import annotations

import html as html_lib
import re
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update
from support import input_value as hidden
from support import login

from myblog.extensions import db
from myblog.models import Comment, CommentPolicy, CommentStatus, OutboxEmail, Post, Site
from myblog.models.types import utcnow
from myblog.services import comments as comment_service
from myblog.services.site import forget_site


@pytest.fixture(autouse=True)
def no_minimum_fill_time(monkeypatch):
    """Tests submit at once; the minimum fill time has tests of its own below."""
    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 0)


@pytest.fixture
def slug(app, factory) -> str:
    return slug_of(app, factory.posts(1)[0])


def slug_of(app, post_id: int) -> str:
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post is not None
        return post.slug


def post_id_of(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Post.id).where(Post.slug == slug)).one()


def textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no comment textarea"
    return html_lib.unescape(match.group(1)).strip()


def api_token(client) -> str:
    return client.get("/api/csrf-token").get_json()["csrf_token"]


def token_url(page: str) -> str:
    match = re.search(r'data-token-url="([^"]+)"', page)
    assert match, "no token URL on the form"
    return html_lib.unescape(match.group(1))


def fetched_stamp(client, post_id: int) -> str:
    """The form stamp comments.js fetches for a post."""
    return client.get(f"/api/csrf-token?post={post_id}").get_json()["started"]


def comment_on(
    client, slug: str, *, token: bool = True, page_url: str | None = None, **fields: Any
):
    """Fill the comment form of the post page like a reader whose browser runs comments.js."""
    page = client.get(page_url or f"/post/{slug}").get_data(as_text=True)
    data = {
        "started": hidden(page, "started"),
        "parent_id": hidden(page, "parent_id"),
        "nickname": "",
        "name": "Reader",
        "email": "reader@example.com",
        "body": "Nice post!",
    }
    if token:  # what comments.js fetches when the reader starts writing
        values = client.get(token_url(page)).get_json()
        data["csrf_token"] = values["csrf_token"]
        data["started"] = data["started"] or values["started"]
    data.update(fields)
    return client.post(f"/post/{slug}/comments", data=data)


def stored(app) -> list[tuple[str, CommentStatus, int | None, str]]:
    """(name, status, parent_id, body) of every comment, oldest first."""
    with app.app_context():
        return [
            (c.name, c.status, c.parent_id, c.body)
            for c in db.session.scalars(select(Comment).order_by(Comment.id))
        ]


def add_comment(
    app,
    post_id: int,
    name: str,
    status: CommentStatus = CommentStatus.APPROVED,
    *,
    parent_id: int | None = None,
    body: str | None = None,
    minutes: int = 0,
) -> int:
    with app.app_context():
        text = body or f"Words of {name}"
        comment = Comment(
            post_id=post_id,
            parent_id=parent_id,
            name=name,
            email=f"{name.lower()}@example.com",
            body=text,
            body_html=f"<p>{text}</p>",
            status=status,
            created_at=utcnow() - timedelta(hours=1) + timedelta(minutes=minutes),
        )
        db.session.add(comment)
        db.session.commit()
        return comment.id


def set_policy(app, policy: CommentPolicy) -> None:
    with app.app_context():
        db.session.execute(update(Site).values(comment_policy=policy))
        db.session.commit()
        forget_site()


def outbox_subjects(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (m.to, m.subject)
            for m in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))
        ]


# -- the form on the post page -----------------------------------------------------------------


def test_an_anonymous_reader_gets_the_form_without_a_token_or_a_session_cookie(app, client, slug):
    response = client.get(f"/post/{slug}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    page = response.get_data(as_text=True)
    post_id = post_id_of(app, slug)
    assert 'id="comment-form"' in page
    assert f'data-token-url="/api/csrf-token?post={post_id}"' in page
    assert hidden(page, "csrf_token") == ""
    assert hidden(page, "started") == ""  # fetched with the token: the page is the same for all
    assert 'name="name"' in page and 'name="email"' in page
    assert "0 comments" in page


def test_the_csrf_token_endpoint_returns_an_uncached_token(client):
    response = client.get("/api/csrf-token")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_json()["csrf_token"]
    assert isinstance(token, str) and len(token) > 20
    assert "Set-Cookie" in response.headers  # the token is bound to the session it starts


def test_a_comment_without_a_token_comes_back_with_its_text_and_then_goes_through(
    app, client, slug
):
    first = comment_on(client, slug, token=False, body="My *careful* thoughts")
    assert first.status_code == 400
    page = first.get_data(as_text=True)
    assert textarea(page) == "My *careful* thoughts"
    assert hidden(page, "name") == "Reader" and hidden(page, "email") == "reader@example.com"
    assert "The form expired; please submit it again." in page
    token = hidden(page, "csrf_token")
    assert token
    assert stored(app) == []

    second = client.post(
        f"/post/{slug}/comments",
        data={
            "csrf_token": token,
            "started": hidden(page, "started"),
            "parent_id": hidden(page, "parent_id"),
            "name": hidden(page, "name"),
            "email": hidden(page, "email"),
            "body": textarea(page),
        },
    )
    assert second.status_code == 302, second.get_data(as_text=True)
    assert stored(app) == [("Reader", CommentStatus.PENDING, None, "My *careful* thoughts")]


def test_a_guest_comment_waits_for_approval_and_mails_the_author(app, client, slug):
    response = comment_on(client, slug, body="Waiting *here*")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/post/{slug}#comment-notice"
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "your comment will appear once it is approved" in page
    assert "Waiting" not in page and "0 comments" in page
    assert stored(app) == [("Reader", CommentStatus.PENDING, None, "Waiting *here*")]
    (mail,) = outbox_subjects(app)
    assert mail[0] == "owner@example.com" and mail[1].startswith("Comment awaiting approval")


def test_an_approved_comment_is_shown_at_once_under_the_open_policy(app, client, slug):
    set_policy(app, CommentPolicy.OPEN)
    response = comment_on(client, slug, body="Straight *out*", website="https://reader.example")
    assert response.status_code == 302
    with app.app_context():
        comment_id = db.session.scalars(select(Comment.id)).one()
    assert response.headers["Location"] == f"/post/{slug}#comment-notice"
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "your comment is published" in page
    assert f'id="comment-{comment_id}"' in page and "<em>out</em>" in page
    assert '<a href="https://reader.example" rel="nofollow ugc noopener">Reader</a>' in page
    assert "1 comment<" in page


def test_approved_comments_are_shown_with_nested_replies_and_pending_ones_are_not(
    app, client, slug
):
    post_id = post_id_of(app, slug)
    ann = add_comment(app, post_id, "Ann")
    bob = add_comment(app, post_id, "Bob", parent_id=ann, minutes=1)
    add_comment(app, post_id, "Cat", CommentStatus.PENDING, body="Secret pending words")
    add_comment(app, post_id, "Dan", CommentStatus.SPAM, body="Cheap pills")
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "2 comments" in page
    assert "Words of Ann" in page and "Words of Bob" in page
    assert "Secret pending words" not in page and "Cheap pills" not in page
    # Bob's reply is inside Ann's item, in its list of replies
    ann_item = page[page.index(f'id="comment-{ann}"') :]
    replies = ann_item[ann_item.index('class="list-unstyled comment-replies') :]
    assert replies.index(f'id="comment-{bob}"') < replies.index("</ol>")
    assert "replying to Ann" in page
    assert f'href="/post/{slug}?reply_to={ann}#comment-form"' in page


def test_a_closed_post_refuses_comments_with_403(app, client, slug):
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    data = {
        "started": hidden(page, "started"),
        "name": "Reader",
        "email": "reader@example.com",
        "body": "Too late?",
        "csrf_token": api_token(client),
    }
    with app.app_context():
        db.session.execute(update(Post).where(Post.slug == slug).values(allow_comments=False))
        db.session.commit()
    response = client.post(f"/post/{slug}/comments", data=data)
    assert response.status_code == 403
    assert stored(app) == []
    closed = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "Comments are closed." in closed and 'id="comment-form"' not in closed


def test_commenting_on_an_unknown_post_is_404(app, client, slug):
    response = client.post(
        "/post/no-such-post/comments",
        data={"csrf_token": api_token(client), "name": "R", "email": "r@example.com", "body": "x"},
    )
    assert response.status_code == 404
    assert stored(app) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "That is not a valid email address."),
        ({"name": ""}, "Your name is needed."),
        ({"email": "  "}, "Your email address is needed."),
        ({"body": "   "}, "The comment is empty."),
        ({"website": "javascript:alert(1)"}, "Give a full address such as https://example.com."),
        (
            {"website": "javascript://example.com/%0Aalert(1)"},
            "Give a full address such as https://example.com.",
        ),
        ({"nickname": "spambot"}, "Your comment could not be accepted."),
        ({"started": "forged.stamp"}, "The form expired; please submit it again."),
        (
            {"body": "https://a.example https://b.example https://c.example https://d.example"},
            "A comment may hold at most 3 links.",
        ),
    ],
    ids=[
        "email",
        "name",
        "no-email",
        "body",
        "website",
        "js-website",
        "honeypot",
        "forged-stamp",
        "links",
    ],
)
def test_a_refused_comment_gets_the_form_back_with_the_reason(app, client, slug, fields, message):
    body = fields.get("body", "Keep these words")
    response = comment_on(client, slug, **{"body": body, **fields})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert textarea(page) == body.strip()
    assert stored(app) == []
    assert outbox_subjects(app) == []


def test_a_stamp_from_another_post_is_refused(app, client, factory, slug):
    other = slug_of(app, factory.posts(1)[0])
    stamp = fetched_stamp(client, post_id_of(app, other))
    response = comment_on(client, slug, started=stamp)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert stored(app) == []


def test_a_form_sent_within_the_minimum_fill_time_is_refused(app, client, slug, monkeypatch):
    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 3)
    response = comment_on(client, slug, body="Speedy")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That was quick!" in page and textarea(page) == "Speedy"
    assert stored(app) == []

    # a form served ten seconds ago goes through
    then = time.time() - 10
    monkeypatch.setattr(comment_service, "time", SimpleNamespace(time=lambda: then))
    assert comment_on(client, slug, body="Patient").status_code == 302
    assert [row[3] for row in stored(app)] == ["Patient"]


def test_too_many_comments_get_429_with_the_text_kept(make_app):
    app = make_app(MYBLOG_COMMENT_LIMIT="2 per minute")
    client = app.test_client()
    slug = slug_of(app, _one_post(app))
    codes = [comment_on(client, slug, body=f"Comment {i}").status_code for i in range(2)]
    assert codes == [302, 302]
    limited = comment_on(client, slug, body="The third, kept for later")
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert "You are commenting too quickly" in page
    assert textarea(page) == "The third, kept for later"
    assert hidden(page, "csrf_token")  # so the retry goes through
    assert [row[3] for row in stored(app)] == ["Comment 0", "Comment 1"]
    assert client.get(f"/post/{slug}").status_code == 200  # reading is not limited


def _one_post(app) -> int:
    from support import Factory

    return Factory(app).posts(1)[0]


# -- replies -----------------------------------------------------------------------------------


def test_reply_to_shows_who_is_answered_and_the_reply_is_stored_under_it(app, client, slug):
    post_id = post_id_of(app, slug)
    ann = add_comment(app, post_id, "Ann")
    url = f"/post/{slug}?reply_to={ann}"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<p class="reply-context small"[^>]*>\s*Replying to', page)
    assert '<strong class="reply-name">Ann</strong>' in page
    assert hidden(page, "parent_id") == str(ann)
    assert comment_on(client, slug, page_url=url, body="Answer").status_code == 302
    assert stored(app)[-1] == ("Reader", CommentStatus.PENDING, ann, "Answer")


@pytest.mark.parametrize("value", ["abc", "99999", "-1", "１２", "1" * 30])
def test_a_bad_or_unknown_reply_to_is_ignored(app, client, slug, value):
    add_comment(app, post_id_of(app, slug), "Ann")
    response = client.get(f"/post/{slug}", query_string={"reply_to": value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert hidden(page, "parent_id") == ""
    assert 'class="reply-context small d-none"' in page


def test_reply_to_a_pending_comment_or_one_of_another_post_is_ignored(app, client, factory, slug):
    pending = add_comment(app, post_id_of(app, slug), "Ann", CommentStatus.PENDING)
    elsewhere = add_comment(app, factory.posts(1)[0], "Bob")
    for target in (pending, elsewhere):
        page = client.get(f"/post/{slug}?reply_to={target}").get_data(as_text=True)
        assert hidden(page, "parent_id") == ""
    # and a forged parent_id in the POST is refused by the service
    response = comment_on(client, slug, parent_id=str(elsewhere), body="Sneaky")
    assert response.status_code == 400
    assert "not there any more" in response.get_data(as_text=True)
    assert [row[0] for row in stored(app)] == ["Ann", "Bob"]


# -- logged-in writers -------------------------------------------------------------------------


def test_the_logged_in_owner_comments_without_name_or_email(app, client, slug):
    login(client)
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "Commenting as" in page and 'name="email"' not in page
    token = hidden(page, "csrf_token")
    assert token
    response = client.post(f"/post/{slug}/comments", data={"csrf_token": token, "body": "Mine"})
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalars(select(Comment)).one()
        assert comment.status is CommentStatus.APPROVED
        assert comment.author_id is not None and comment.email == "owner@example.com"
    assert response.headers["Location"] == f"/post/{slug}#comment-notice"
    shown = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "Mine" in shown and '<span class="badge text-bg-secondary">writer</span>' in shown
    assert outbox_subjects(app) == []  # the author is not told about their own comment


def test_a_logged_in_writer_still_needs_the_csrf_token(app, client, slug):
    login(client)
    response = client.post(f"/post/{slug}/comments", data={"body": "Forged"})
    assert response.status_code == 400
    assert stored(app) == []


# -- query counts ------------------------------------------------------------------------------


def _statements(client, count_queries, path: str) -> list[str]:
    assert client.get(path).status_code == 200  # warm the caches (site settings)
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.statements


def test_the_post_page_runs_as_many_queries_with_200_comments_as_with_2(
    app, client, slug, count_queries
):
    post_id = post_id_of(app, slug)
    root = add_comment(app, post_id, "Root")
    add_comment(app, post_id, "Reply", parent_id=root, minutes=1)
    small = _statements(client, count_queries, f"/post/{slug}")

    with app.app_context():
        roots = []
        for i in range(198):
            parent = roots[i - 1] if i % 3 == 2 and roots else None
            comment = Comment(
                post_id=post_id,
                parent_id=parent,
                name=f"Reader {i}",
                email=f"r{i}@example.com",
                body=f"Comment {i}",
                body_html=f"<p>Comment {i}</p>",
                status=CommentStatus.APPROVED,
                created_at=utcnow() - timedelta(minutes=30) + timedelta(seconds=i),
            )
            db.session.add(comment)
            db.session.flush()
            roots.append(comment.id)
        db.session.commit()
    large = _statements(client, count_queries, f"/post/{slug}")

    assert len(large) == len(small), (small, large)
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "200 comments" in page
    assert page.count('<li class="comment') == 200
    assert page.count('<li class="comment comment-reply"') > 60


def _without_stamp(page: str) -> str:
    """The page without its per-request signed values (form stamp, CSRF tokens)."""
    return re.sub(r'(<input[^>]*name="(?:started|csrf_token)"[^>]*value=")[^"]*"', r'\1"', page)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_untouched_form_from_memory_is_the_form_the_widgets_render(
    app, client, slug, signed_in
):
    app.test_client().get(f"/post/{slug}")  # an anonymous reader came first
    if signed_in:
        login(client)
        client.get("/")  # shows the "welcome back" message once
    assert app.jinja_env.auto_reload is False  # tests run templates as production does
    remembered = client.get(f"/post/{slug}")
    # per language and comment policy (the blog's default: trust returning commenters)
    fields = app.extensions["myblog.comment_fields"][signed_in, "en", CommentPolicy.TRUST_RETURNING]
    assert fields.startswith('<div class="hp-field"')
    app.jinja_env.auto_reload = True  # as in development: nothing is remembered
    try:
        rendered = client.get(f"/post/{slug}")
    finally:
        app.jinja_env.auto_reload = False
    page = remembered.get_data(as_text=True)
    assert _without_stamp(page) == _without_stamp(rendered.get_data(as_text=True))
    assert ('name="email"' in page) is not signed_in
    assert 'name="body"' in page and 'name="nickname"' in page
    assert bool(hidden(page, "started")) is signed_in  # guests fetch it with the token


def test_a_refused_comment_is_not_shown_in_the_remembered_empty_form(app, client, slug):
    client.get(f"/post/{slug}")  # the empty form is remembered
    token = client.get("/api/csrf-token").get_json()["csrf_token"]
    page = client.post(
        f"/post/{slug}/comments",
        data={
            "csrf_token": token,
            "name": "Mallory",
            "email": "not-an-address",
            "body": "Kept text",
            "started": fetched_stamp(client, post_id_of(app, slug)),
        },
    ).get_data(as_text=True)
    assert textarea(page) == "Kept text" and 'value="Mallory"' in page
    assert "not a valid email address" in page
    fresh = client.get(f"/post/{slug}").get_data(as_text=True)
    assert textarea(fresh) == "" and "Mallory" not in fresh and "is-invalid" not in fresh


def test_the_confirmation_stands_by_the_form_not_at_the_top_of_the_page(app, client, slug):
    comment_on(client, slug, body="Where does it say so?")
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    main = page.split('<main id="content"')[1]
    assert 'role="alert"' not in main.split('<section id="comments"')[0]  # no flash at the top
    section = main.split('<section id="comments"')[1]
    notice = section.index('id="comment-notice"')
    assert section.index('role="status"', notice) < section.index('<form id="comment-form"')
    assert "once it is approved" in section[notice : section.index('<form id="comment-form"')]
    # shown once: the next visit has no notice
    assert 'id="comment-notice"' not in client.get(f"/post/{slug}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        (CommentPolicy.TRUST_RETURNING, "once one from this address is approved"),
        (CommentPolicy.MODERATED, "comments wait for approval"),
        (CommentPolicy.OPEN, "may write to you about your comment"),
    ],
)
def test_the_help_text_says_why_email_is_needed_under_each_policy(app, client, slug, policy, says):
    client.get(f"/post/{slug}")  # the fields rendered under the previous policy are kept…
    set_policy(app, policy)
    page = client.get(f"/post/{slug}").get_data(as_text=True)
    assert says in page  # …and not shown under this one
    assert "at most 3 links. No images, headings or HTML" in page
    # a refused form says the same
    refused = comment_on(client, slug, body="")
    assert refused.status_code == 400 and says in refused.get_data(as_text=True)
