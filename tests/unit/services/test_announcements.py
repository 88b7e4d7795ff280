"""Announcing new posts: each confirmed subscriber mailed once per post, in batches, with
bulk-mail headers, by the editor or by the background pass."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta

from sqlalchemy import event, func, insert, select
from subscription_support import (
    BASE,
    HOUR,
    NOW,
    confirmed,
    link_in,
    mail_count,
    mails,
    owner,
    publish,
)

from myblog.delivery.passes import periodic_pass
from myblog.delivery.smtp import send_email
from myblog.extensions import db
from myblog.extensions import mail as mail_ext
from myblog.models import OutboxEmail, Post, PostStatus, Subscriber
from myblog.models.types import utcnow
from myblog.services import announcements
from myblog.services.announcements import ANNOUNCE_WINDOW, announce, announce_due_posts
from myblog.services.outbox import enqueue
from myblog.services.outbox_delivery import run_once
from myblog.services.posts import PostInput, promote_due_posts, save_post
from myblog.services.site import update_site
from myblog.services.subscriptions import read_unsubscribe, subscribe, unsubscribe

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

    monkeypatch.setattr(announcements, "_queue_post_mails", broken)
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
            report = run_once(send_email, now=utcnow())
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
    update_site(title="博客", tagline="", about="", language="zh_CN")
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
