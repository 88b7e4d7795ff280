"""A post's history: each save kept as a revision, and the editor's pending autosaves."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from myblog.extensions import db
from myblog.models.types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from myblog.models.user import User


class RevisionKind(enum.StrEnum):
    # a save of a draft; a save that left the post live (or scheduled): never pruned
    SAVE = "save"
    PUBLISHED = "published"
    # the editor's copy of unsaved work, pruned once a save supersedes it
    AUTOSAVE = "autosave"


class PostRevision(db.Model):  # type: ignore[name-defined]
    __tablename__ = "post_revisions"
    __table_args__ = (
        # a post's history, newest first; a writer's pending autosave of a post (or of a new one)
        Index("ix_post_revisions_post_id_id", "post_id", "id"),
        Index("ix_post_revisions_author_kind", "author_id", "kind", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: an autosave of a post not saved yet (one per writer)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[RevisionKind] = mapped_column(str_enum(RevisionKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # the revision this one restored, if any
    restored_from: Mapped[int | None] = mapped_column(default=None)

    author: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PostRevision {self.id} post={self.post_id} {self.kind.value}>"
