"""Comments: policies, anti-spam checks, Markdown-lite, the thread, notifications, moderation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import (
    Comment,
    CommentPolicy,
    CommentStatus,
    OutboxEmail,
    Post,
    PostStatus,
    Role,
    User,
)
from myblog.queries.post_page import thread
from myblog.services.accounts import create_user
from myblog.services.comments import (
    CommentError,
    CommentInput,
    CommentsClosed,
    Submission,
    hash_ip,
    initial_status,
    moderate,
    moderation_queue,
    status_counts,
    submit_comment,
)
from myblog.services.markdown import count_links, render_comment

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IP = "203.0.113.77"
GUEST = Submission(ip=IP, started_at=NOW - timedelta(seconds=30))
BASE = "http://127.0.0.1:5000"  # MYBLOG_BASE_URL: links written outside a request


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def author(username: str) -> User:
    user = create_user(
        username=username,
        email=f"{username}@example.com",
        password="plum-kettle-42",
        role=Role.AUTHOR,
    )
    db.session.commit()
    return user


_made = {"posts": 0}


def make_post(
    by: User | None = None,
    *,
    allow_comments: bool = True,
    status: PostStatus = PostStatus.PUBLISHED,
) -> Post:
    _made["posts"] += 1
    n = _made["posts"]
    post = Post(
        title=f"Post {n}",
        slug=f"post-{n}",
        body="Text.",
        body_html="<p>Text.</p>",
        excerpt="Text.",
        status=status,
        published_at=None if status is PostStatus.DRAFT else NOW - timedelta(days=1),
        author_id=(by or owner()).id,
        allow_comments=allow_comments,
    )
    db.session.add(post)
    db.session.commit()
    return post


def submit(
    post: Post,
    body: str = "Nice post!",
    *,
    name: str = "Reader",
    email: str = "reader@example.com",
    user: User | None = None,
    policy: CommentPolicy = CommentPolicy.MODERATED,
    submission: Submission = GUEST,
    parent: Comment | None = None,
    notify: bool = False,
    now: datetime = NOW,
) -> Comment:
    return submit_comment(
        post,
        CommentInput(
            body=body,
            name=name,
            email=email,
            parent_id=parent.id if parent is not None else None,
            notify_replies=notify,
        ),
        user=user,
        submission=submission,
        policy=policy,
        now=now,
    )


def add(post: Post, status: CommentStatus, *, name: str = "Someone", **fields) -> Comment:
    """A comment row written directly, bypassing the checks (and the notifications)."""
    fields.setdefault("email", f"{name.lower()}@example.com")
    fields.setdefault("created_at", NOW)
    comment = Comment(
        post=post, name=name, body="Hi", body_html="<p>Hi</p>", status=status, **fields
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def comment_count() -> int:
    return db.session.scalar(select(func.count(Comment.id))) or 0


def mails(to: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.to == to)
    return list(db.session.scalars(query))


def status_of(comment_id: int) -> CommentStatus | None:
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    return comment.status if comment is not None else None


# -- policies ----------------------------------------------------------------------------------


def test_the_moderated_policy_keeps_every_guest_comment_pending(ctx):
    post = make_post()
    add(post, CommentStatus.APPROVED, name="Reader", email="reader@example.com")
    comment = submit(post, policy=CommentPolicy.MODERATED)
    assert comment.status is CommentStatus.PENDING
    assert comment.name == "Reader" and comment.email == "reader@example.com"
    assert comment.author_id is None


def test_the_open_policy_publishes_guest_comments_at_once(ctx):
    comment = submit(make_post(), policy=CommentPolicy.OPEN)
    assert comment.status is CommentStatus.APPROVED


def test_trust_returning_publishes_an_address_with_an_approved_comment(ctx):
    post = make_post()
    first = submit(post, policy=CommentPolicy.TRUST_RETURNING)
    assert first.status is CommentStatus.PENDING
    moderate(owner(), "approve", [first.id])
    # the address is compared lower-cased, as it was stored
    again = submit(post, email="  Reader@Example.COM ", policy=CommentPolicy.TRUST_RETURNING)
    assert again.status is CommentStatus.APPROVED
    assert again.email == "reader@example.com"
    stranger = submit(post, email="other@example.com", policy=CommentPolicy.TRUST_RETURNING)
    assert stranger.status is CommentStatus.PENDING


def test_trust_returning_does_not_count_spam_or_pending_comments(ctx):
    post = make_post()
    add(post, CommentStatus.SPAM, name="Spammer", email="spammer@example.com")
    add(post, CommentStatus.PENDING, name="Waiting", email="waiting@example.com")
    for email in ("spammer@example.com", "waiting@example.com"):
        assert initial_status(CommentPolicy.TRUST_RETURNING, user=None, email=email) is (
            CommentStatus.PENDING
        )
        comment = submit(post, email=email, policy=CommentPolicy.TRUST_RETURNING)
        assert comment.status is CommentStatus.PENDING


def test_logged_in_writers_are_approved_under_any_policy_and_skip_the_anti_spam_checks(ctx):
    writer = author("writer")
    post = make_post()
    unchecked = Submission(ip=IP, started_at=None, honeypot="filled")  # would fail for a guest
    links = " ".join(f"https://example.com/{i}" for i in range(5))
    comment = submit(
        post,
        links,
        name="",
        email="",
        user=writer,
        policy=CommentPolicy.MODERATED,
        submission=unchecked,
    )
    assert comment.status is CommentStatus.APPROVED
    assert comment.author_id == writer.id
    assert comment.name == writer.display_name and comment.email == "writer@example.com"
    assert comment_count() == 1


# -- refused comments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "submission", "message"),
    [
        (
            "Buy now",
            Submission(ip=IP, started_at=NOW - timedelta(minutes=1), honeypot="bot"),
            "could not be accepted",
        ),
        ("Fast", Submission(ip=IP, started_at=NOW - timedelta(seconds=1)), "That was quick"),
        ("No stamp", Submission(ip=IP, started_at=None), "The form expired"),
        ("Stale", Submission(ip=IP, started_at=NOW - timedelta(days=2)), "The form expired"),
        (
            "a https://a.example b http://b.example c www.c.example d [x](https://d.example)",
            GUEST,
            "at most 3 links",
        ),
        ("   \n  ", GUEST, "The comment is empty."),
        ("x" * 5001, GUEST, "at most 5000 characters (5001 given)"),
    ],
    ids=["honeypot", "too-fast", "missing-stamp", "stale-stamp", "links", "empty", "too-long"],
)
def test_a_refused_comment_raises_a_clear_error_and_stores_nothing(ctx, body, submission, message):
    post = make_post()
    with pytest.raises(CommentError, match=re.escape(message)) as raised:
        submit(post, body, submission=submission, policy=CommentPolicy.OPEN)
    assert not isinstance(raised.value, CommentsClosed)
    assert comment_count() == 0
    assert mails() == []


def test_three_links_and_5000_characters_are_still_accepted(ctx):
    post = make_post()
    three = "see https://a.example, www.b.example and <https://c.example>"
    assert count_links(three) == 3
    assert submit(post, three).id is not None
    assert submit(post, "x" * 5000).id is not None
    assert comment_count() == 2


def test_a_markdown_link_counts_as_one_link(ctx):
    assert count_links("[a](https://a.example)") == 1
    two = "[a](https://a.example) and [b](https://b.example)"
    assert submit(make_post(), two).id is not None  # 2 links, under the limit of 3


def test_a_guest_needs_a_name_and_an_email(ctx):
    post = make_post()
    with pytest.raises(CommentError, match="name and email"):
        submit(post, name="  ")
    with pytest.raises(CommentError, match="name and email"):
        submit(post, email="")
    assert comment_count() == 0


@pytest.mark.parametrize(
    "fields",
    [{"allow_comments": False}, {"status": PostStatus.DRAFT}],
    ids=["closed", "draft"],
)
def test_a_closed_or_draft_post_takes_no_comments(ctx, fields):
    post = make_post(**fields)
    with pytest.raises(CommentsClosed, match="closed"):
        submit(post)
    with pytest.raises(CommentsClosed):  # not even from a logged-in writer
        submit(post, user=owner())
    assert comment_count() == 0


def test_a_scheduled_post_takes_no_comments_yet(ctx):
    post = make_post()
    with pytest.raises(CommentsClosed):
        submit(post, now=NOW - timedelta(days=2))


def test_replies_only_to_an_approved_comment_of_the_same_post(ctx):
    post, other = make_post(), make_post()
    elsewhere = add(other, CommentStatus.APPROVED, name="Elsewhere")
    pending = add(post, CommentStatus.PENDING, name="Pending")
    spam = add(post, CommentStatus.SPAM, name="Spam")
    for parent in (elsewhere, pending, spam):
        with pytest.raises(CommentError, match="replying to is not there"):
            submit(post, parent=parent, policy=CommentPolicy.OPEN)
    with pytest.raises(CommentError, match="replying to is not there"):
        submit_comment(
            post,
            CommentInput(body="Hi", name="R", email="r@example.com", parent_id=999_999),
            user=None,
            submission=GUEST,
            policy=CommentPolicy.OPEN,
            now=NOW,
        )
    assert comment_count() == 3
    good = add(post, CommentStatus.APPROVED, name="Good")
    reply = submit(post, parent=good, policy=CommentPolicy.OPEN)
    assert reply.parent_id == good.id


def test_the_ip_is_stored_only_as_a_keyed_hash(ctx):
    comment = submit(make_post())
    db.session.expire_all()
    row = db.session.get(Comment, comment.id)
    assert row is not None
    assert row.ip_hash == hash_ip(IP)  # keyed with the app's SECRET_KEY
    current_app.config["SECRET_KEY"] = "another-secret"
    assert len(row.ip_hash) == 64 and row.ip_hash != hash_ip(IP)
    values = [str(getattr(row, column.key)) for column in Comment.__table__.columns]
    assert not any(IP in value for value in values), values


# -- Markdown-lite -----------------------------------------------------------------------------


def test_comment_markdown_escapes_raw_html_instead_of_passing_it_through():
    html = render_comment('Hi <script>alert(1)</script> <b onclick="x()">bold</b>')
    assert "<script" not in html and "<b " not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, inert
    assert "&lt;b onclick" in html
    assert "<img" not in render_comment("<img src=x onerror=alert(1)>")


def test_comment_markdown_keeps_emphasis_code_and_lists():
    html = render_comment("*soft* **hard** `code`\n\n- one\n- two")
    assert "<em>soft</em>" in html and "<strong>hard</strong>" in html
    assert "<code>code</code>" in html and "<li>one</li>" in html


def test_comment_links_get_nofollow_ugc_and_javascript_links_vanish():
    html = render_comment("[site](https://example.com) and https://bare.example/x")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://example.com"' in html and 'href="https://bare.example/x"' in html
    bad = render_comment("[click](javascript:alert(1)) [j](JaVaScRiPt:alert(2))")
    assert "javascript" not in bad.lower()
    assert "href" not in bad


def test_comment_images_headings_and_tables_are_not_rendered():
    html = render_comment("![cat](https://example.com/cat.png)\n\n# Big\n\n| a |\n|---|\n| b |")
    assert "<img" not in html and "<h1" not in html and "<table" not in html
    assert 'href="https://example.com/cat.png"' in html  # at most a plain, nofollow link


def test_a_stored_comment_keeps_its_source_and_safe_html(ctx):
    comment = submit(make_post(), "<script>x</script> [go](javascript:evil())")
    assert comment.body == "<script>x</script> [go](javascript:evil())"
    assert "<script" not in comment.body_html and "javascript" not in comment.body_html


# -- the thread --------------------------------------------------------------------------------


def test_thread_nests_approved_replies_oldest_first_with_replying_to(ctx):
    post, other = make_post(), make_post()
    first = add(post, CommentStatus.APPROVED, name="Ann", created_at=NOW)
    second = add(post, CommentStatus.APPROVED, name="Bob", created_at=NOW + timedelta(minutes=1))
    reply = add(
        post,
        CommentStatus.APPROVED,
        name="Cat",
        parent=first,
        created_at=NOW + timedelta(minutes=2),
    )
    deeper = add(
        post,
        CommentStatus.APPROVED,
        name="Dan",
        parent=reply,
        created_at=NOW + timedelta(minutes=3),
        author_id=owner().id,
    )
    add(post, CommentStatus.PENDING, name="Eve", parent=first, created_at=NOW)
    add(post, CommentStatus.SPAM, name="Fay", created_at=NOW)
    add(other, CommentStatus.APPROVED, name="Gus", created_at=NOW)

    comments = thread(post.id)
    roots, count = comments.comments, comments.count
    assert count == 4
    assert [c.id for c in roots] == [first.id, second.id]
    (nested,) = roots[0].replies
    assert nested.id == reply.id and nested.replying_to == "Ann"
    assert [c.id for c in nested.replies] == [deeper.id]
    assert nested.replies[0].replying_to == "Cat" and nested.replies[0].by_writer
    assert roots[0].replying_to is None and not roots[0].by_writer
    assert roots[1].replies == []


def test_thread_of_a_post_without_comments_is_empty(ctx):
    comments = thread(make_post().id)
    assert (comments.comments, comments.count) == ([], 0)


# -- notifications -----------------------------------------------------------------------------


def test_a_pending_comment_mails_the_post_author_with_the_moderation_link(ctx):
    writer = author("writer")
    post = make_post(writer)
    comment = submit(post, "Pending *words*", name="Reader")
    (mail,) = mails()
    assert mail.to == "writer@example.com"
    assert mail.subject == f"Comment awaiting approval on “{post.title}”"
    assert "Pending *words*" in mail.text_body
    assert f"{BASE}/admin/comments?status=pending#c{comment.id}" in mail.text_body
    assert "/admin/comments?status=pending" in (mail.html_body or "")


def test_an_approved_comment_mails_the_author_a_new_comment_with_its_link(ctx):
    post = make_post()
    comment = submit(post, policy=CommentPolicy.OPEN)
    (mail,) = mails()
    assert mail.to == "owner@example.com"
    assert mail.subject == f"New comment on “{post.title}”"
    assert f"{BASE}/post/{post.slug}#comment-{comment.id}" in mail.text_body


def test_the_post_author_is_not_mailed_about_their_own_comment(ctx):
    writer = author("writer")
    post = make_post(writer)
    submit(post, user=writer)
    assert mails() == []
    submit(post, user=owner())  # someone else's account: the author hears about it
    assert [m.to for m in mails()] == ["writer@example.com"]


def test_a_pending_reply_mails_the_parent_only_once_it_is_approved(ctx):
    post = make_post()
    parent = submit(post, name="Ann", email="ann@example.com", notify=True)
    moderate(owner(), "approve", [parent.id])
    reply = submit(post, "I disagree", name="Bob", email="bob@example.com", parent=parent)
    assert reply.status is CommentStatus.PENDING
    assert mails("ann@example.com") == []

    assert moderate(owner(), "approve", [reply.id]) == 1
    (mail,) = mails("ann@example.com")
    assert mail.subject == f"Bob replied to your comment on “{post.title}”"
    assert "I disagree" in mail.text_body
    assert f"{BASE}/post/{post.slug}#comment-{reply.id}" in mail.text_body

    assert moderate(owner(), "approve", [reply.id]) == 0  # already approved: no second mail
    assert len(mails("ann@example.com")) == 1


def test_an_approved_reply_mails_a_parent_who_opted_in_at_once(ctx):
    post = make_post()
    parent = add(post, CommentStatus.APPROVED, name="Ann", notify_replies=True)
    submit(post, parent=parent, policy=CommentPolicy.OPEN)
    assert [m.subject for m in mails("ann@example.com")] == [
        f"Reader replied to your comment on “{post.title}”"
    ]


def test_a_parent_who_did_not_opt_in_is_never_mailed(ctx):
    post = make_post()
    parent = add(post, CommentStatus.APPROVED, name="Ann", notify_replies=False)
    submit(post, parent=parent, policy=CommentPolicy.OPEN)
    pending = submit(post, email="late@example.com", parent=parent)
    moderate(owner(), "approve", [pending.id])
    assert mails("ann@example.com") == []
    assert {m.to for m in mails()} == {"owner@example.com"}


def test_a_reply_to_your_own_comment_mails_you_nothing(ctx):
    post = make_post()
    parent = add(post, CommentStatus.APPROVED, name="Ann", notify_replies=True)
    submit(post, name="Ann", email="ann@example.com", parent=parent, policy=CommentPolicy.OPEN)
    assert mails("ann@example.com") == []


# -- moderation --------------------------------------------------------------------------------


def test_an_author_moderates_only_comments_on_their_own_posts(ctx):
    alice, bob = author("alice"), author("bob")
    mine = [add(make_post(alice), CommentStatus.PENDING, name=f"M{i}") for i in range(2)]
    theirs = add(make_post(bob), CommentStatus.PENDING, name="T")
    ids = [c.id for c in (*mine, theirs)]
    assert moderate(alice, "approve", ids) == 2
    assert [status_of(c.id) for c in mine] == [CommentStatus.APPROVED] * 2
    assert status_of(theirs.id) is CommentStatus.PENDING
    assert moderate(alice, "delete", [theirs.id]) == 0
    assert status_of(theirs.id) is CommentStatus.PENDING
    # the owner moderates everything
    assert moderate(owner(), "spam", ids) == 3
    assert {status_of(i) for i in ids} == {CommentStatus.SPAM}


def test_moderate_approves_marks_spam_and_deletes_in_bulk(ctx):
    post = make_post()
    comments = [add(post, CommentStatus.PENDING, name=f"C{i}") for i in range(4)]
    ids = [c.id for c in comments]
    assert moderate(owner(), "approve", ids[:3]) == 3
    assert moderate(owner(), "spam", ids[1:]) == 3
    assert [status_of(i) for i in ids] == [
        CommentStatus.APPROVED,
        CommentStatus.SPAM,
        CommentStatus.SPAM,
        CommentStatus.SPAM,
    ]
    assert moderate(owner(), "spam", ids[1:]) == 0  # nothing left to change
    assert moderate(owner(), "delete", [*ids[2:], 999_999]) == 2
    assert comment_count() == 2
    assert moderate(owner(), "approve", []) == 0


def test_deleting_a_comment_deletes_its_replies(ctx):
    post = make_post()
    parent = add(post, CommentStatus.APPROVED, name="Ann")
    reply = add(post, CommentStatus.APPROVED, name="Bob", parent=parent)
    add(post, CommentStatus.PENDING, name="Cat", parent=reply)
    keep = add(post, CommentStatus.APPROVED, name="Dan")
    assert moderate(owner(), "delete", [parent.id]) == 1
    db.session.expire_all()
    assert list(db.session.scalars(select(Comment.id))) == [keep.id]


def test_moderate_refuses_an_unknown_action(ctx):
    comment = add(make_post(), CommentStatus.PENDING)
    with pytest.raises(CommentError, match="Unknown action"):
        moderate(owner(), "publish", [comment.id])
    assert status_of(comment.id) is CommentStatus.PENDING


def test_status_counts_and_queue_are_per_user(ctx):
    alice, bob = author("alice"), author("bob")
    alices, bobs = make_post(alice), make_post(bob)
    add(alices, CommentStatus.PENDING, name="A1")
    add(alices, CommentStatus.PENDING, name="A2")
    add(alices, CommentStatus.SPAM, name="A3")
    add(bobs, CommentStatus.APPROVED, name="B1")
    assert status_counts(alice) == {
        CommentStatus.PENDING: 2,
        CommentStatus.APPROVED: 0,
        CommentStatus.SPAM: 1,
    }
    assert status_counts(bob) == {
        CommentStatus.PENDING: 0,
        CommentStatus.APPROVED: 1,
        CommentStatus.SPAM: 0,
    }
    assert status_counts(owner()) == {
        CommentStatus.PENDING: 2,
        CommentStatus.APPROVED: 1,
        CommentStatus.SPAM: 1,
    }
    queue = moderation_queue(alice, status=CommentStatus.PENDING, page=1)
    assert queue.total == 2 and {c.name for c in queue.items} == {"A1", "A2"}
    assert moderation_queue(bob, status=CommentStatus.PENDING, page=1).items == []
