"""Live events: recorded with their cause, replayed after an id, filtered by who may see them,
pruned with a "reload" for a position older than the log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from live_support import post_by
from sqlalchemy import func, select, update

from myblog.extensions import db
from myblog.models import (
    Comment,
    CommentPolicy,
    CommentStatus,
    EventKind,
    LiveEvent,
    OutboxEmail,
    Post,
    PostStatus,
    Role,
    User,
)
from myblog.models.types import utcnow
from myblog.services import events
from myblog.services.announcements import announce_due_posts
from myblog.services.comments import (
    CommentError,
    CommentInput,
    Submission,
    moderate,
    submit_comment,
)
from myblog.services.events import Channel
from myblog.services.outbox import enqueue
from myblog.services.outbox_delivery import run_once
from myblog.services.subscriptions import confirm, subscribe
from myblog.services.tokens import make_token

GUEST = Submission(ip="203.0.113.9", started_at=utcnow() - timedelta(seconds=30))
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w+")


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def user(name: str, role: Role = Role.AUTHOR) -> User:
    from myblog.services.accounts import create_user

    made = create_user(
        username=name, email=f"{name}@example.com", password="plum-kettle-42", role=role
    )
    db.session.commit()
    return made


def comment_on(post: Post, policy: CommentPolicy, *, email: str = "guest@example.net", **kw):
    data = CommentInput(body="Hello there", name="Guest", email=email, **kw)
    return submit_comment(post, data, user=None, submission=GUEST, policy=policy)


def log() -> list[LiveEvent]:
    return list(db.session.scalars(select(LiveEvent).order_by(LiveEvent.id)))


def everything(after: int = 0) -> list[events.EventView]:
    return events.replay(after).events


# -- recorded with the change that causes it ---------------------------------------------------


def test_an_approved_comment_is_recorded_in_its_own_commit(ctx):
    post = post_by(owner())
    comment = comment_on(post, CommentPolicy.OPEN)
    [event] = log()
    assert (event.kind, event.post_id, event.comment_id) == (EventKind.COMMENT, post.id, comment.id)
    assert event.data["comment"]["body_html"] == comment.body_html
    assert "guest@example.net" not in repr(event.data)


def test_a_refused_comment_or_a_rolled_back_transaction_leaves_no_event(ctx):
    post = post_by(owner())
    with pytest.raises(CommentError):
        submit_comment(
            post,
            CommentInput(body="  ", name="G", email="g@example.net"),
            user=None,
            submission=GUEST,
            policy=CommentPolicy.OPEN,
        )
    events.record(EventKind.POST, post_id=post.id, data={"title": "t", "slug": "p"})
    db.session.rollback()
    assert log() == []
    assert events.replay(0).events == []


def test_a_pending_comment_tells_the_author_and_approving_it_tells_the_readers(ctx):
    writer = user("writer")
    post = post_by(writer)
    comment = comment_on(post, CommentPolicy.MODERATED)
    assert [(e.kind, e.user_id) for e in log()] == [(EventKind.PENDING_COMMENT, writer.id)]
    assert moderate(owner(), "approve", [comment.id]) == 1
    assert [e.kind for e in log()] == [EventKind.PENDING_COMMENT, EventKind.COMMENT]
    moderate(owner(), "approve", [comment.id])  # already approved: nothing new
    moderate(owner(), "spam", [comment.id])
    assert len(log()) == 2


def test_a_post_tells_readers_when_it_goes_live_and_not_before(ctx):
    from myblog.services.posts import PostInput, save_post

    now = utcnow()
    draft = save_post(PostInput(title="Draft", body="x"), author=owner(), now=now)
    later = save_post(
        PostInput(
            title="Later",
            body="x",
            status=PostStatus.SCHEDULED,
            published_at=now + timedelta(hours=1),
        ),
        author=owner(),
        now=now,
    )
    assert log() == []
    live = save_post(
        PostInput(title="Live", body="x", status=PostStatus.PUBLISHED), author=owner(), now=now
    )
    save_post(
        PostInput(title="Live again", body="y", status=PostStatus.PUBLISHED),
        author=owner(),
        post=live,
        now=now,
    )
    assert [(e.kind, e.post_id) for e in log()] == [(EventKind.POST, live.id)]
    announce_due_posts(now + timedelta(hours=2))  # the scheduled post's time has come
    assert [e.post_id for e in log()] == [live.id, later.id]
    assert draft.id not in [e.post_id for e in log()]


def test_a_mail_given_up_on_and_a_confirmed_subscriber_tell_the_admins(app, ctx):
    old = utcnow() - timedelta(days=30)
    enqueue(to="gone@example.org", subject="Hello", text_body="x", now=old)
    db.session.commit()
    db.session.execute(update(OutboxEmail).values(created_at=old))
    db.session.commit()

    def refuse(email: OutboxEmail) -> None:
        raise OSError("relay down")

    report = run_once(refuse)
    assert len(report.failed) == 1
    subscribe("new@example.org")
    token = make_token(
        {"e": "new@example.org"}, purpose="subscribe-confirm", secret=app.config["SECRET_KEY"]
    )
    confirm(token)
    confirm(token)  # twice: one event
    kinds = [(e.kind, e.user_id) for e in log()]
    assert kinds == [(EventKind.MAIL_FAILED, None), (EventKind.SUBSCRIBER, None)]


# -- replay --------------------------------------------------------------------------------------


def test_replay_gives_exactly_the_events_after_a_position(ctx):
    post = post_by(owner())
    ids = [comment_on(post, CommentPolicy.OPEN).id for _ in range(5)]
    all_events = everything()
    assert [e.comment_id for e in all_events] == ids
    third = all_events[2].id
    after = events.replay(third)
    assert [e.id for e in after.events] == [e.id for e in all_events[3:]]
    assert after.cursor == all_events[-1].id and not after.reload
    batch = events.replay(0, limit=2)
    assert [e.id for e in batch.events] == [e.id for e in all_events[:2]]
    assert batch.cursor == all_events[1].id
    up_to_date = events.replay(all_events[-1].id)
    assert up_to_date.events == [] and up_to_date.cursor == all_events[-1].id


def test_a_client_without_a_position_starts_now(ctx):
    assert events.replay(None) == events.Replay([], 0)
    post = post_by(owner())
    comment_on(post, CommentPolicy.OPEN)
    assert events.replay(None).cursor == events.latest_id() > 0


def test_a_position_the_log_never_had_means_reload(ctx):
    assert events.replay(7).reload  # an empty log: that position is from another database
    post = post_by(owner())
    comment_on(post, CommentPolicy.OPEN)
    ahead = events.replay(events.latest_id() + 5)
    assert ahead.reload and ahead.cursor == events.latest_id()


def test_pruning_keeps_the_window_and_the_newest_and_older_positions_reload(app, ctx):
    post = post_by(owner())
    for _ in range(4):
        comment_on(post, CommentPolicy.OPEN)
    first, second, third, fourth = (e.id for e in log())
    day_ago = utcnow() - timedelta(hours=30)
    db.session.execute(update(LiveEvent).where(LiveEvent.id <= second).values(created_at=day_ago))
    db.session.commit()
    assert events.prune() == 2  # the two oldest; the newest stays whatever its age
    assert [e.id for e in log()] == [third, fourth]
    assert events.replay(second).events[0].id == third  # right before the oldest kept: exact
    old = events.replay(first)
    assert old.reload and old.cursor == fourth and old.events == []
    db.session.execute(update(LiveEvent).values(created_at=day_ago))
    db.session.commit()
    assert events.prune() == 1 and [e.id for e in log()] == [fourth]
    assert not events.replay(fourth).reload


# -- who may see what ----------------------------------------------------------------------------


def test_readers_get_public_events_about_their_page_only(ctx):
    writer = user("writer")
    mine, other = post_by(writer, "mine"), post_by(owner(), "other")
    shown = comment_on(mine, CommentPolicy.OPEN)
    comment_on(other, CommentPolicy.OPEN)
    comment_on(mine, CommentPolicy.MODERATED, email="waiting@example.net")
    seen = everything()
    on_mine = [e for e in seen if Channel.post(mine.id).accepts(e)]
    assert [e.comment_id for e in on_mine] == [shown.id]
    assert [e for e in seen if Channel.home().accepts(e)] == []
    for event in seen:
        if Channel.post(mine.id).accepts(event) or Channel.post(other.id).accepts(event):
            assert not EMAIL.search(repr(event.data))


def test_a_comment_marked_spam_or_a_post_taken_back_is_no_longer_replayed(ctx):
    post = post_by(owner())
    comment = comment_on(post, CommentPolicy.OPEN)
    [event] = everything()
    assert Channel.post(post.id).accepts(event)
    moderate(owner(), "spam", [comment.id])
    assert not Channel.post(post.id).accepts(everything()[0])
    db.session.execute(update(Comment).values(status=CommentStatus.APPROVED))
    db.session.execute(update(Post).values(status=PostStatus.DRAFT))
    db.session.commit()
    assert not Channel.post(post.id).accepts(everything()[0])


def test_a_scheduled_post_is_not_news_for_readers_before_its_time(ctx):
    post = post_by(owner())
    events.record_post_live(post)
    db.session.commit()
    assert Channel.home().accepts(everything()[0])
    db.session.execute(
        update(Post).values(status=PostStatus.SCHEDULED, published_at=utcnow() + timedelta(days=1))
    )
    db.session.commit()
    assert not Channel.home().accepts(everything()[0])


def test_writers_get_what_concerns_them_and_admins_everything(app, ctx):
    writer, other, admin = user("writer"), user("other"), user("admin", Role.ADMIN)
    post = post_by(writer)
    comment_on(post, CommentPolicy.MODERATED)
    events.record_subscriber("someone@example.org")
    db.session.commit()
    seen = everything()
    assert [e.kind for e in seen if Channel.staff(writer).accepts(e)] == [EventKind.PENDING_COMMENT]
    assert [e.kind for e in seen if Channel.staff(other).accepts(e)] == []
    assert len([e for e in seen if Channel.staff(admin).accepts(e)]) == 2
    assert len([e for e in seen if Channel.staff(owner()).accepts(e)]) == 2
    assert not any(Channel.home().accepts(e) or Channel.post(post.id).accepts(e) for e in seen)


def test_the_badge_counts_what_a_writer_has_not_seen(ctx):
    writer = user("writer")
    post = post_by(writer)
    comment_on(post, CommentPolicy.MODERATED)
    comment_on(post, CommentPolicy.MODERATED, email="second@example.net")
    events.record_subscriber("admins-only@example.org")
    db.session.commit()
    newest = events.latest_id()
    assert events.notification_state(writer) == (2, newest)
    assert events.notification_state(owner()) == (3, newest)
    listed = events.notifications(writer)
    assert [e.kind for e in listed] == [EventKind.PENDING_COMMENT] * 2
    assert "waiting for you" in events.notice(listed[0]).text
    events.mark_seen(writer, listed[0].id)
    assert events.notification_state(writer) == (0, newest)
    assert db.session.scalar(select(func.count(LiveEvent.id))) == 3


def test_the_background_pass_prunes_now_and_then(app, ctx, monkeypatch):
    from myblog.delivery import passes

    monkeypatch.setitem(passes._last_prune, "at", -passes.PRUNE_EVERY)
    post = post_by(owner())
    for _ in range(3):
        comment_on(post, CommentPolicy.OPEN)
    db.session.execute(update(LiveEvent).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    passes.periodic_pass(lambda email: None)
    assert len(log()) == 1  # the newest stays
    comment_on(post, CommentPolicy.OPEN)
    db.session.execute(update(LiveEvent).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    passes.periodic_pass(lambda email: None)
    assert len(log()) == 2  # not again within PRUNE_EVERY
