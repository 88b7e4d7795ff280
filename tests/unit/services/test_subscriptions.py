"""Subscriptions: double opt-in, re-send throttle, unsubscribe, announcing each post once."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from myblog.extensions import db
from myblog.extensions import mail as mail_ext
from myblog.models import OutboxEmail, Post, PostStatus, Role, Subscriber, User
from myblog.models.types import utcnow
from myblog.services import subscriptions
from myblog.services.dispatch import periodic_pass
from myblog.services.outbox import enqueue, run_once
from myblog.services.posts import PostInput, promote_due_posts, save_post
from myblog.services.site import update_site
from myblog.services.subscriptions import (
    ANNOUNCE_WINDOW,
    RESEND_AFTER,
    ConfirmOutcome,
    SubscribeOutcome,
    SubscriberState,
    SubscriptionError,
    UnsubscribeOutcome,
    announce,
    announce_due_posts,
    confirm,
    csv_cell,
    list_subscribers,
    read_unsubscribe,
    subscribe,
    subscriber_counts,
    subscriber_rows,
    subscribers_csv,
    unsubscribe,
    unsubscribe_token,
)
from myblog.services.tokens import TokenError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BASE = "http://127.0.0.1:5000"  # MYBLOG_BASE_URL: links written outside a request


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def mails(to: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.to == to)
    return list(db.session.scalars(query))


def mail_count() -> int:
    return db.session.scalar(select(func.count(OutboxEmail.id))) or 0


def subscriber(email: str) -> Subscriber | None:
    query = select(Subscriber).where(Subscriber.email == email)
    return db.session.scalar(query.execution_options(populate_existing=True))


def link_in(email: OutboxEmail, path: str) -> str:
    """The token of the `path` link in a mail, checked to be in both parts."""
    match = re.search(re.escape(BASE + path) + r"([\w.-]+)", email.text_body)
    assert match, email.text_body
    assert match.group(0) in (email.html_body or "")
    return match.group(1)


def confirmed(*addresses: str) -> None:
    for address in addresses:
        db.session.add(Subscriber(email=address, confirmed_at=NOW, confirmation_sent_at=NOW))
    db.session.commit()


def publish(title: str = "Hello readers", *, now: datetime = NOW, **fields) -> Post:
    fields.setdefault("status", PostStatus.PUBLISHED)
    return save_post(
        PostInput(title=title, body="First *paragraph* of the post.", **fields),
        author=owner(),
        now=now,
    )


# -- subscribing -----------------------------------------------------------------------------


def test_subscribe_stores_a_pending_address_and_mails_a_confirmation_link(ctx):
    assert subscribe("  Reader@Example.COM ", now=NOW) is SubscribeOutcome.SENT
    row = subscriber("reader@example.com")
    assert row is not None and row.confirmed_at is None and row.confirmation_sent_at == NOW
    (message,) = mails()
    assert message.to == "reader@example.com"
    assert message.subject == "Confirm your subscription to Test Blog"
    assert "reader@example.com" in message.text_body and "7 days" in message.text_body
    link_in(message, "/subscribe/confirm/")


@pytest.mark.parametrize("bad", ["", "   ", "not-an-email", "a@", "@example.com", "a b@c.d"])
def test_malformed_addresses_are_refused_and_nothing_is_stored(ctx, bad):
    with pytest.raises(SubscriptionError, match="valid email address"):
        subscribe(bad)
    assert db.session.scalar(select(func.count(Subscriber.id))) == 0
    assert mail_count() == 0


def test_too_long_an_address_is_refused(ctx):
    with pytest.raises(SubscriptionError):
        subscribe("a" * 250 + "@example.com")


def test_a_pending_address_gets_one_confirmation_an_hour(ctx):
    assert subscribe("r@example.com", now=NOW) is SubscribeOutcome.SENT
    assert subscribe("r@example.com", now=NOW + HOUR - timedelta(seconds=1)) is (
        SubscribeOutcome.THROTTLED
    )
    assert mail_count() == 1
    assert subscribe("r@example.com", now=NOW + RESEND_AFTER) is SubscribeOutcome.SENT
    assert mail_count() == 2
    assert subscriber("r@example.com").confirmation_sent_at == NOW + RESEND_AFTER
    assert db.session.scalar(select(func.count(Subscriber.id))) == 1


def test_a_confirmed_address_gets_no_mail(ctx):
    confirmed("r@example.com")
    assert subscribe("R@example.com", now=NOW + 10 * HOUR) is SubscribeOutcome.ALREADY_CONFIRMED
    assert mail_count() == 0


def test_an_address_created_by_a_simultaneous_request_gets_no_second_mail(ctx, monkeypatch):
    subscribe("r@example.com", now=NOW)
    # the other request inserted the row after this one looked for it
    monkeypatch.setattr(subscriptions, "_find", lambda address: None)
    assert subscribe("r@example.com", now=NOW + 2 * HOUR) is SubscribeOutcome.THROTTLED
    monkeypatch.undo()
    assert mail_count() == 1
    assert db.session.scalar(select(func.count(Subscriber.id))) == 1


# -- confirming ------------------------------------------------------------------------------


def test_the_confirmation_link_confirms_once_then_says_so(ctx):
    subscribe("r@example.com", now=NOW)
    token = link_in(mails()[0], "/subscribe/confirm/")
    result = confirm(token, now=NOW + HOUR)
    assert (result.outcome, result.email) == (ConfirmOutcome.CONFIRMED, "r@example.com")
    assert subscriber("r@example.com").confirmed_at == NOW + HOUR
    again = confirm(token, now=NOW + 2 * HOUR)
    assert again.outcome is ConfirmOutcome.ALREADY_CONFIRMED
    assert subscriber("r@example.com").confirmed_at == NOW + HOUR


def test_forged_altered_and_wrong_purpose_confirmation_links_are_refused(ctx):
    subscribe("r@example.com", now=NOW)
    token = link_in(mails()[0], "/subscribe/confirm/")
    for bad in ("nonsense", token[:-2] + "xx", unsubscribe_token("r@example.com")):
        with pytest.raises(TokenError, match="not valid"):
            confirm(bad)
    assert subscriber("r@example.com").confirmed_at is None


def test_an_expired_confirmation_link_is_refused(make_app):
    app = make_app(MYBLOG_SUBSCRIBE_TOKEN_SECONDS=-1)
    with app.app_context():
        subscribe("r@example.com")
        token = link_in(mails()[0], "/subscribe/confirm/")
        with pytest.raises(TokenError, match="expired"):
            confirm(token)
        assert subscriber("r@example.com").confirmed_at is None


def test_a_confirmation_link_for_a_cancelled_subscription_says_so(ctx):
    subscribe("r@example.com", now=NOW)
    token = link_in(mails()[0], "/subscribe/confirm/")
    unsubscribe(unsubscribe_token("r@example.com"))
    with pytest.raises(TokenError, match="Subscribe again"):
        confirm(token)
    assert subscriber("r@example.com") is None


# -- unsubscribing ---------------------------------------------------------------------------


def test_unsubscribe_deletes_the_row_and_is_idempotent(ctx):
    confirmed("r@example.com", "other@example.com")
    token = unsubscribe_token("r@example.com")
    first = unsubscribe(token)
    assert (first.outcome, first.email) == (UnsubscribeOutcome.REMOVED, "r@example.com")
    assert subscriber("r@example.com") is None
    assert unsubscribe(token).outcome is UnsubscribeOutcome.NOT_SUBSCRIBED
    assert subscriber("other@example.com") is not None


def test_reading_an_unsubscribe_link_changes_nothing(ctx):
    confirmed("r@example.com")
    result = read_unsubscribe(unsubscribe_token("r@example.com"))
    assert (result.outcome, result.email) == (UnsubscribeOutcome.REMOVED, "r@example.com")
    assert subscriber("r@example.com") is not None
    unknown = read_unsubscribe(unsubscribe_token("nobody@example.com"))
    assert unknown.outcome is UnsubscribeOutcome.NOT_SUBSCRIBED


def test_forged_and_expired_unsubscribe_links_are_refused(make_app):
    app = make_app(MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS=-1)
    with app.app_context():
        confirmed("r@example.com")
        with pytest.raises(TokenError, match="expired"):
            unsubscribe(unsubscribe_token("r@example.com"))
        with pytest.raises(TokenError, match="not valid"):
            read_unsubscribe("forged.token.here")
        assert subscriber("r@example.com") is not None


# -- announcing ------------------------------------------------------------------------------


def test_publishing_mails_each_confirmed_subscriber_once(ctx):
    confirmed("a@example.com", "b@example.com")
    subscribe("pending@example.com", now=NOW)  # not confirmed: gets only its confirmation
    post = publish("Hello readers")
    assert post.announced_at == NOW
    announced = [m for m in mails() if m.to != "pending@example.com"]
    assert sorted(m.to for m in announced) == ["a@example.com", "b@example.com"]
    for message in announced:
        assert message.subject == "Hello readers · Test Blog"
        assert f"{BASE}/post/{post.slug}" in message.text_body
        assert f'href="{BASE}/post/{post.slug}"' in message.html_body
        assert "First paragraph of the post." in message.text_body
        token = link_in(message, "/unsubscribe/")
        assert read_unsubscribe(token).email == message.to
        headers = json.loads(message.headers)
        assert headers["List-Unsubscribe"] == f"<{BASE}/unsubscribe/{token}>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Id"] == "Test Blog <posts.127.0.0.1>"
    assert len(mails("pending@example.com")) == 1


def test_editing_an_announced_post_never_announces_again(ctx):
    confirmed("a@example.com")
    post = publish("Once")
    assert mail_count() == 1
    for status in (PostStatus.PUBLISHED, PostStatus.DRAFT, PostStatus.PUBLISHED):
        save_post(
            PostInput(title="Once, edited", body="changed", status=status),
            author=owner(),
            post=post,
            now=NOW + HOUR,
        )
    assert mail_count() == 1
    assert announce(post, now=NOW + 2 * HOUR) is None
    assert announce_due_posts(NOW + 2 * HOUR) == []
    assert mail_count() == 1


def test_drafts_are_never_announced(ctx):
    confirmed("a@example.com")
    draft = publish("Draft", status=PostStatus.DRAFT)
    assert announce(draft, now=NOW) is None
    assert announce_due_posts(NOW + 30 * HOUR) == []
    promote_due_posts(NOW + 30 * HOUR)
    periodic_pass(lambda email: None, now=NOW + 30 * HOUR)
    assert mail_count() == 0
    assert db.session.get(Post, draft.id).announced_at is None


def test_a_scheduled_post_is_announced_by_the_background_pass_after_its_time(ctx):
    confirmed("a@example.com", "b@example.com")
    post = publish("Later", status=PostStatus.SCHEDULED, published_at=NOW + 2 * HOUR)
    assert mail_count() == 0
    sent: list[str] = []
    periodic_pass(lambda email: sent.append(email.to), now=NOW + HOUR)
    assert mail_count() == 0 and sent == []
    periodic_pass(lambda email: sent.append(email.to), now=NOW + 2 * HOUR)
    assert sorted(sent) == ["a@example.com", "b@example.com"]
    assert db.session.get(Post, post.id).announced_at == NOW + 2 * HOUR
    periodic_pass(lambda email: sent.append(email.to), now=NOW + 3 * HOUR)
    assert mail_count() == 2 and len(sent) == 2


def test_publish_due_announces_the_posts_it_publishes(ctx):
    confirmed("a@example.com")
    post = publish("Later", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert [p.id for p in promote_due_posts(NOW + 2 * HOUR)] == [post.id]
    (message,) = mails()
    assert message.subject == "Later · Test Blog"
    assert db.session.get(Post, post.id).announced_at == NOW + 2 * HOUR
    assert announce_due_posts(NOW + 3 * HOUR) == []
    assert mail_count() == 1


def test_a_post_found_long_after_it_went_live_is_marked_without_mail(ctx):
    confirmed("a@example.com")
    post = publish("Old", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    late = NOW + HOUR + ANNOUNCE_WINDOW + timedelta(minutes=1)
    assert announce_due_posts(late) == [post.id]
    assert mail_count() == 0
    assert db.session.get(Post, post.id).announced_at == late
    assert announce_due_posts(late + HOUR) == []


def test_announcing_keeps_the_posts_updated_time(ctx):
    post = publish("Later", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    updated = post.updated_at
    assert announce_due_posts(NOW + 2 * HOUR) == [post.id]
    db.session.expire_all()
    assert db.session.get(Post, post.id).updated_at == updated


def test_a_failing_announcement_does_not_stop_delivery(ctx, monkeypatch):
    confirmed("a@example.com")
    post = publish("Later", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    enqueue(to="x@example.com", subject="queued before", text_body="x", now=NOW)
    db.session.commit()

    def broken(post: Post, now: datetime) -> int:
        raise RuntimeError("template missing")

    monkeypatch.setattr(subscriptions, "_queue_post_mails", broken)
    sent: list[str] = []
    report = periodic_pass(lambda email: sent.append(email.to), now=NOW + 2 * HOUR)
    assert sent == ["x@example.com"] and len(report.sent) == 1
    # the failed announcement was rolled back: the next pass tries it again
    assert db.session.get(Post, post.id).announced_at is None
    monkeypatch.undo()
    periodic_pass(lambda email: sent.append(email.to), now=NOW + 3 * HOUR)
    assert sent == ["x@example.com", "a@example.com"]


def test_two_processes_announcing_at_once_mail_once(app):
    with app.app_context():
        confirmed("a@example.com", "b@example.com", "c@example.com")
        post_id = publish("Race", status=PostStatus.SCHEDULED, published_at=NOW + HOUR).id
    both_loaded = threading.Barrier(2, timeout=10)
    results: list[int | None] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():  # its own session and connection, like another process
                post = db.session.get(Post, post_id)
                assert post is not None and post.announced_at is None
                both_loaded.wait()
                results.append(announce(post, now=NOW + 2 * HOUR))
                db.session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results, key=lambda r: r is None) == [3, None]
    with app.app_context():
        assert mail_count() == 3
        assert sorted(m.to for m in mails()) == ["a@example.com", "b@example.com", "c@example.com"]


def test_interleaved_sessions_announce_once(app):
    with app.app_context():
        confirmed("a@example.com")
        post_id = publish("Twice", status=PostStatus.SCHEDULED, published_at=NOW + HOUR).id
        first = db.session.get(Post, post_id)
        with app.app_context():  # a second session that also saw the post unannounced
            second = db.session.get(Post, post_id)
            assert first is not second and second.announced_at is None
            assert announce(second, now=NOW + 2 * HOUR) == 1
            db.session.commit()
        assert first.announced_at is None  # stale in this session
        assert announce(first, now=NOW + 3 * HOUR) is None
        db.session.commit()
        assert mail_count() == 1


def test_twelve_hundred_subscribers_get_one_mail_each_in_batches(ctx):
    db.session.execute(
        insert(Subscriber),
        [
            {"email": f"reader{i:04}@example.com", "created_at": NOW, "confirmed_at": NOW}
            for i in range(1200)
        ],
    )
    db.session.execute(insert(Subscriber), [{"email": "pending@example.com", "created_at": NOW}])
    db.session.commit()
    inserts: list[str] = []

    def count_inserts(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_EMAILS"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_inserts)
    try:
        post = publish("Big list")
    finally:
        event.remove(db.engine, "before_cursor_execute", count_inserts)
    assert len(inserts) == 3  # 500 + 500 + 200 rows, one multi-row INSERT per batch
    rows = db.session.execute(select(OutboxEmail.to, OutboxEmail.headers)).all()
    assert len(rows) == 1200
    assert len({to for to, _ in rows}) == 1200
    assert "pending@example.com" not in {to for to, _ in rows}
    links = {json.loads(headers)["List-Unsubscribe"] for _, headers in rows}
    assert len(links) == 1200
    assert db.session.scalar(select(func.count(func.distinct(OutboxEmail.message_id)))) == 1200
    # each link unsubscribes its own reader
    to, headers = rows[777]
    token = json.loads(headers)["List-Unsubscribe"].rsplit("/", 1)[1].rstrip(">")
    assert unsubscribe(token).email == to
    assert post.announced_at == NOW


def test_headers_reach_the_sent_message(make_app):
    app = make_app(MAIL_SERVER="smtp.example.invalid")  # sending is suppressed in testing
    with app.app_context():
        confirmed("a@example.com")
        publish("Headers")
        with mail_ext.record_messages() as outbox:
            report = run_once(now=utcnow())
        assert len(report.sent) == 1
        (message,) = outbox
        text = message.as_string()
        assert re.search(r"^List-Unsubscribe: <http://127\.0\.0\.1:5000/unsubscribe/", text, re.M)
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
        assert "List-Id: Test Blog <posts.127.0.0.1>" in text
        assert re.search(r"^Message-ID: <.+@localhost>", text, re.M | re.I)
        assert re.search(r"^Date: ", text, re.M)
        assert "multipart/alternative" in text


def test_mail_in_the_blogs_language(ctx):
    update_site(title="博客", tagline="", about="", language="zh")
    confirmed("a@example.com")
    subscribe("new@example.com", now=NOW)
    publish("你好")
    (confirmation,) = mails("new@example.com")
    assert confirmation.subject == "确认订阅 博客"
    assert "确认订阅" in confirmation.html_body
    (announcement,) = mails("a@example.com")
    assert announcement.subject == "你好 · 博客"
    assert "一键退订" in announcement.text_body and "一键退订" in announcement.html_body
    headers = json.loads(announcement.headers)
    assert headers["List-Id"] == "=?utf-8?b?5Y2a5a6i?= <posts.127.0.0.1>"


def test_titles_are_escaped_in_the_html_part_only(ctx):
    confirmed("a@example.com")
    publish("Tom & <Jerry>")
    (message,) = mails()
    assert message.subject == "Tom & <Jerry> · Test Blog"
    assert "Tom & <Jerry>" in message.text_body
    assert "Tom &amp; &lt;Jerry&gt;" in message.html_body and "<Jerry>" not in message.html_body


# -- the owner's list and export ---------------------------------------------------------------


def test_counts_and_pages_by_state(ctx):
    confirmed("a@example.com", "b@example.com")
    subscribe("p@example.com", now=NOW)
    assert subscriber_counts() == subscriptions.SubscriberCounts(confirmed=2, pending=1)
    assert subscriber_counts().total == 3
    everyone = list_subscribers(page=1, per_page=10)
    assert everyone.total == 3
    pending = list_subscribers(page=1, per_page=10, state=SubscriberState.PENDING)
    assert [s.email for s in pending.items] == ["p@example.com"]
    ok = list_subscribers(page=1, per_page=1, state=SubscriberState.CONFIRMED)
    assert ok.total == 2 and ok.pages == 2 and len(ok.items) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a@example.com", "a@example.com"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(value, expected):
    assert csv_cell(value) == expected


def test_csv_export_lists_everyone_with_formula_safe_cells(ctx):
    db.session.add(Subscriber(email="=cmd@example.com", created_at=NOW, confirmed_at=NOW + HOUR))
    db.session.add(Subscriber(email="-p@example.com", created_at=NOW))
    db.session.commit()
    assert list(subscriber_rows()) == [
        ("=cmd@example.com", "confirmed", "2026-03-02T09:00:00+00:00", "2026-03-02T10:00:00+00:00"),
        ("-p@example.com", "pending", "2026-03-02T09:00:00+00:00", ""),
    ]
    text = "".join(subscribers_csv())
    assert text.splitlines() == [
        "email,status,subscribed_at,confirmed_at",
        "'=cmd@example.com,confirmed,2026-03-02T09:00:00+00:00,2026-03-02T10:00:00+00:00",
        "'-p@example.com,pending,2026-03-02T09:00:00+00:00,",
    ]
