"""Live events: the log the live streams read, one row per change a page may show at once."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlalchemy.orm import Mapped, mapped_column

from myblog.extensions import db
from myblog.models.types import UTCDateTime, str_enum, utcnow


class EventKind(enum.StrEnum):
    # for readers
    COMMENT = "comment"  # a comment became visible under a post
    POST = "post"  # a post went live
    # for writers
    PENDING_COMMENT = "pending_comment"  # a comment waits for moderation (its post's author)
    MAIL_FAILED = "mail_failed"  # a mail was given up on (admins)
    SUBSCRIBER = "subscriber"  # an address confirmed its subscription (admins)


PUBLIC_KINDS = frozenset({EventKind.COMMENT, EventKind.POST})
STAFF_KINDS = frozenset(EventKind) - PUBLIC_KINDS


class LiveEvent(db.Model):  # type: ignore[name-defined]
    """One event. Ids only grow and are never reused (AUTOINCREMENT on SQLite, a sequence on
    PostgreSQL), and rows become visible in id order (`myblog.services.events.record`), so "every
    event after id N" is exact. Rows older than the kept window are pruned; the newest is kept.

    `post_id` and `comment_id` are plain numbers, not foreign keys: an event outlives what it is
    about, and the reads join to check that it is still public."""

    __tablename__ = "live_events"
    __table_args__ = (
        # a writer's own notifications (authors); admins read by id alone
        Index("ix_live_events_user_id_id", "user_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    post_id: Mapped[int | None]
    comment_id: Mapped[int | None]
    # the one writer a staff event is for besides the admins; None: the admins alone
    user_id: Mapped[int | None]
    # what the stream shows, safe for the event's audience (never a reader's email in public)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<LiveEvent {self.id} {self.kind.value}>"
