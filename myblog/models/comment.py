"""Readers' comments: many-to-one to Post, an adjacency list for replies."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from myblog.extensions import db
from myblog.models.types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from myblog.models.post import Post
    from myblog.models.user import User


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"


class CommentPolicy(enum.StrEnum):
    """Which new guest comments wait for a moderator."""

    MODERATED = "moderated"  # every guest comment
    TRUST_RETURNING = "trust"  # guests whose address already has an approved comment go live
    OPEN = "open"  # none


class Comment(db.Model):  # type: ignore[name-defined]
    __tablename__ = "comments"
    __table_args__ = (
        # a post's thread: its approved comments in order
        Index("ix_comments_post_status_created", "post_id", "status", "created_at", "id"),
        # the moderation queue, newest first, by status
        Index("ix_comments_status_created", "status", "created_at"),
        # "has this address an approved comment already?"
        Index("ix_comments_email_status", "email", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # a reply's parent; deleting a comment deletes the replies under it
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # set when a logged-in user wrote it; name and email are then copied from the account
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        str_enum(CommentStatus), default=CommentStatus.PENDING
    )
    # the commenter asked to be mailed when someone replies (never set for them by others)
    notify_replies: Mapped[bool] = mapped_column(Boolean, default=False)
    # keyed SHA-256 of the address: enough to rate-limit and spot abuse, not the address itself
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # many-to-one
    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()
    # self-referential: many-to-one up to the parent, one-to-many down to the replies
    parent: Mapped[Comment | None] = relationship(
        back_populates="replies", remote_side="Comment.id"
    )
    replies: WriteOnlyMapped[Comment] = relationship(back_populates="parent", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on post {self.post_id} {self.status.value}>"


class Subscriber(db.Model):  # type: ignore[name-defined]
    """A reader who gets new posts by email, once they have confirmed the address."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None until the reader opens the confirmation link (double opt-in)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # when the last confirmation mail went out, so a stranger cannot make us mail it repeatedly
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        state = "confirmed" if self.confirmed_at else "pending"
        return f"<Subscriber {self.id} {self.email!r} {state}>"
