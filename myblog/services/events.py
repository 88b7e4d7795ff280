"""Live events: written in the same transaction as the change that causes them, read back after
an id, filtered by who may see them.

The streams (myblog/live/) only read this log: a bus wake-up says "there are events up to id
N", never what they are, so a lost wake-up loses nothing. Ids become visible in order: SQLite
has one writer at a time, and on PostgreSQL `record` takes a transaction-scoped advisory lock
before the row gets its id, so a transaction that took a lower id has committed (or rolled
back) before a higher one can commit. A reader that has seen id N has seen every event below N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Row, and_, case, delete, func, select, text

from myblog.extensions import db
from myblog.models import Comment, CommentStatus, OutboxEmail, Post, User
from myblog.models.live import PUBLIC_KINDS, STAFF_KINDS, EventKind, LiveEvent
from myblog.models.types import utcnow

# session.info key: ids of the events the session's transaction recorded, for the commit hook
# that wakes the streams (myblog/live/bus.py)
NEW_EVENTS = "myblog.live_events"
# the key of the PostgreSQL advisory lock that puts event ids in commit order ("mybl")
ORDER_LOCK = 0x6D79626C
REPLAY_BATCH = 200


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as the streams read it; `public` says whether readers may see it now (a public
    kind, its post live, its comment approved), checked when it was read."""

    id: int
    kind: EventKind
    post_id: int | None
    comment_id: int | None
    user_id: int | None
    data: dict[str, Any]
    created_at: datetime
    public: bool


@dataclass(frozen=True, slots=True)
class Channel:
    """Who listens: the home page ("home"), one post's page ("post"), or one writer ("staff")."""

    name: str
    post_id: int | None = None
    user_id: int | None = None
    is_admin: bool = False

    @classmethod
    def home(cls) -> Channel:
        return cls("home")

    @classmethod
    def post(cls, post_id: int) -> Channel:
        return cls("post", post_id=post_id)

    @classmethod
    def staff(cls, user: User) -> Channel:
        return cls("staff", user_id=user.id, is_admin=user.is_admin)

    def accepts(self, event: EventView) -> bool:
        """Whether this listener may be sent the event: readers get public events about their
        page only; a writer gets the staff events meant for them (admins: all of them)."""
        if self.name == "home":
            return event.public and event.kind is EventKind.POST
        if self.name == "post":
            return (
                event.public and event.kind is EventKind.COMMENT and event.post_id == self.post_id
            )
        if self.name == "staff" and event.kind in STAFF_KINDS:
            return self.is_admin or event.user_id == self.user_id
        return False


# -- recording ----------------------------------------------------------------------------------


def _take_order_lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ORDER_LOCK})


def record(
    kind: EventKind,
    *,
    data: dict[str, Any],
    post_id: int | None = None,
    comment_id: int | None = None,
    user_id: int | None = None,
) -> LiveEvent:
    """Add an event to the current transaction (flushed for its id); the caller's commit makes
    it real together with its cause. Call it late in the transaction: on PostgreSQL the order
    lock it takes is held until the commit."""
    _take_order_lock()
    event = LiveEvent(
        kind=kind,
        post_id=post_id,
        comment_id=comment_id,
        user_id=user_id,
        data=data,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    db.session.info.setdefault(NEW_EVENTS, []).append(event.id)
    return event


def record_comment(comment: Comment, post: Post) -> None:
    """What a stored or moderated comment tells: readers see an approved one at once; a pending
    one is news for the post's author (and the admins). Spam tells nobody."""
    if comment.status is CommentStatus.APPROVED:
        record(
            EventKind.COMMENT,
            post_id=post.id,
            comment_id=comment.id,
            data=_comment_data(comment, post),
        )
    elif comment.status is CommentStatus.PENDING:
        record(
            EventKind.PENDING_COMMENT,
            post_id=post.id,
            comment_id=comment.id,
            user_id=post.author_id,
            data={"post_title": post.title, "name": comment.name},
        )


def _comment_data(comment: Comment, post: Post) -> dict[str, Any]:
    # what the thread's markup needs (myblog/templates/macros/comments.html), and no email
    parent = comment.parent
    return {
        "slug": post.slug,
        "open": bool(post.allow_comments),
        "comment": {
            "id": comment.id,
            "parent_id": comment.parent_id,
            "name": comment.name,
            "website": comment.website,
            "body_html": comment.body_html,
            "created_at": comment.created_at.isoformat(),
            "by_writer": comment.author_id is not None,
            "replying_to": parent.name if parent is not None else None,
        },
    }


def record_post_live(post: Post) -> None:
    """A post went live (published now, or a scheduled post whose time came)."""
    record(EventKind.POST, post_id=post.id, data={"title": post.title, "slug": post.slug})


def record_mail_given_up(email: OutboxEmail) -> None:
    """A mail was given up on: news for the admins."""
    record(EventKind.MAIL_FAILED, data={"to": email.to, "subject": email.subject})


def record_subscriber(address: str) -> None:
    """An address confirmed its subscription: news for the admins."""
    record(EventKind.SUBSCRIBER, data={"email": address})


# -- reading back -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replay:
    """Events after a position, oldest first. `cursor`: every event up to it has been read.
    `reload`: the position is older than the kept log, or ahead of it (another database): the
    client cannot be brought up to date event by event and should reload its page."""

    events: list[EventView]
    cursor: int
    reload: bool = False


def _event_rows(after: int, limit: int) -> Sequence[Row[Any]]:
    query = (
        select(
            LiveEvent.id,
            LiveEvent.kind,
            LiveEvent.post_id,
            LiveEvent.comment_id,
            LiveEvent.user_id,
            LiveEvent.data,
            LiveEvent.created_at,
            Post.status.label("post_status"),
            Post.published_at,
            Comment.status.label("comment_status"),
        )
        .outerjoin(Post, Post.id == LiveEvent.post_id)
        .outerjoin(Comment, Comment.id == LiveEvent.comment_id)
        .where(LiveEvent.id > after)
        .order_by(LiveEvent.id)
        .limit(limit)
    )
    return db.session.execute(query).all()


def _view(row: Row[Any], now: datetime) -> EventView:
    values = row._asdict()
    post_status, published_at = values.pop("post_status"), values.pop("published_at")
    comment_status = values.pop("comment_status")
    kind = values["kind"]
    public = (
        kind in PUBLIC_KINDS
        and post_status is not None
        and Post.visible_at(post_status, published_at, now)
        and (kind is not EventKind.COMMENT or comment_status is CommentStatus.APPROVED)
    )
    return EventView(**values, public=public)


def events_after(
    after: int, *, limit: int = REPLAY_BATCH, now: datetime | None = None
) -> list[EventView]:
    """Up to `limit` events with an id above `after`, oldest first, visibility checked now."""
    now = now or utcnow()
    return [_view(row, now) for row in _event_rows(after, limit)]


def bounds() -> tuple[int | None, int | None]:
    """The oldest and newest event ids kept (None, None for an empty log)."""
    oldest, newest = db.session.execute(
        select(func.min(LiveEvent.id), func.max(LiveEvent.id))
    ).one()
    return oldest, newest


def latest_id() -> int:
    """The newest event id (0 before the first event)."""
    return bounds()[1] or 0


def replay(after: int | None, *, limit: int = REPLAY_BATCH, now: datetime | None = None) -> Replay:
    """What a client at position `after` missed, a batch at a time (call again from `cursor`
    while a full batch comes back). `after=None`: a client with no position starts now.

    A position below the oldest kept event minus one may have lost pruned events: reload. The
    newest event is never pruned, so an empty log means there never was one."""
    oldest, newest = bounds()
    if after is None:
        return Replay([], newest or 0)
    if newest is None or oldest is None:
        return Replay([], 0, reload=after > 0)
    if after > newest or after < oldest - 1:
        return Replay([], newest, reload=True)
    found = events_after(after, limit=limit, now=now)
    return Replay(found, found[-1].id if found else after)


def post_is_public(post_id: int, *, now: datetime | None = None) -> bool:
    """Whether the public may read this post now (its page may follow its comments)."""
    found = db.session.execute(
        select(Post.status, Post.published_at).where(Post.id == post_id)
    ).one_or_none()
    return found is not None and Post.visible_at(found.status, found.published_at, now or utcnow())


def prune(*, now: datetime | None = None, keep: timedelta | None = None) -> int:
    """Delete events older than the kept window (MYBLOG_LIVE_KEEP_HOURS), always keeping the
    newest; commits. Returns how many went."""
    now = now or utcnow()
    keep = keep or timedelta(hours=current_app.config["MYBLOG_LIVE_KEEP_HOURS"])
    newest = select(func.max(LiveEvent.id)).scalar_subquery()
    result = db.session.execute(
        delete(LiveEvent)
        .where(LiveEvent.created_at < now - keep, LiveEvent.id < newest)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- a writer's notifications -------------------------------------------------------------------


def _for_writer(user: User) -> ColumnElement[bool]:
    staff = LiveEvent.kind.in_(sorted(STAFF_KINDS))
    return staff if user.is_admin else and_(staff, LiveEvent.user_id == user.id)


def notification_state(user: User) -> tuple[int, int]:
    """How many notifications this writer has not seen, and the newest event id (where their
    stream starts), in one statement."""
    unseen = and_(_for_writer(user), LiveEvent.id > user.notifications_seen_id)
    count, newest = db.session.execute(
        select(func.count(case((unseen, 1))), func.max(LiveEvent.id))
    ).one()
    return int(count), int(newest or 0)


def notifications(user: User, *, limit: int = 50, now: datetime | None = None) -> list[EventView]:
    """This writer's latest notifications, newest first."""
    now = now or utcnow()
    ids = select(LiveEvent.id).where(_for_writer(user)).order_by(LiveEvent.id.desc()).limit(limit)
    found = db.session.scalars(
        select(LiveEvent).where(LiveEvent.id.in_(ids)).order_by(LiveEvent.id.desc())
    ).all()
    return [
        EventView(
            id=e.id,
            kind=e.kind,
            post_id=e.post_id,
            comment_id=e.comment_id,
            user_id=e.user_id,
            data=e.data,
            created_at=e.created_at,
            public=False,
        )
        for e in found
    ]


def mark_seen(user: User, upto: int) -> None:
    """Remember that this writer has seen their notifications up to event `upto`; commits."""
    if upto > user.notifications_seen_id:
        user.notifications_seen_id = upto
        db.session.commit()


@dataclass(frozen=True, slots=True)
class Notice:
    """A staff event in words, and where to act on it (an endpoint and its values)."""

    text: str
    endpoint: str
    values: dict[str, Any]


def notice(event: EventView) -> Notice:
    """What a writer's notification says about a staff event."""
    data = event.data
    if event.kind is EventKind.PENDING_COMMENT:
        return Notice(
            _(
                "%(name)s commented on “%(title)s”: waiting for you",
                name=data.get("name"),
                title=data.get("post_title"),
            ),
            "admin.list_comments",
            {"status": "pending", "_anchor": f"c{event.comment_id}"},
        )
    if event.kind is EventKind.MAIL_FAILED:
        return Notice(
            _(
                "A mail to %(address)s was given up on: %(subject)s",
                address=data.get("to"),
                subject=data.get("subject"),
            ),
            "admin.list_outbox",
            {"status": "failed"},
        )
    return Notice(
        _("%(email)s confirmed a subscription", email=data.get("email")),
        "admin.list_subscribers",
        {},
    )
