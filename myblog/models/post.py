"""Posts and how they are filed: Category (many-to-one) and Tag (many-to-many)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    and_,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from myblog.extensions import db
from myblog.models.types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from myblog.models.comment import Comment
    from myblog.models.user import User


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SCHEDULED = "scheduled"


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Category(db.Model):  # type: ignore[name-defined]
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, index=True)

    # write-only collections cannot be loaded to null out or unlink rows on delete: the
    # foreign keys' ON DELETE (SET NULL here, CASCADE on post_tags) do that in the database
    posts: WriteOnlyMapped[Post] = relationship(back_populates="category", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.slug!r}>"


class Tag(db.Model):  # type: ignore[name-defined]
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, index=True)

    posts: WriteOnlyMapped[Post] = relationship(
        secondary=post_tags, back_populates="tags", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Tag {self.id} {self.slug!r}>"


class Post(db.Model):  # type: ignore[name-defined]
    __tablename__ = "posts"
    __table_args__ = (
        # Listings read "newest first" straight off these indexes and stop after one page;
        # the trailing id matches the ORDER BY tiebreak, so nothing is sorted per request.
        Index("ix_posts_published_at_id", "published_at", "id"),
        Index("ix_posts_category_published", "category_id", "published_at", "id"),
        Index("ix_posts_author_published", "author_id", "published_at", "id"),
        # the admin's list: filtered by status, newest change first
        Index("ix_posts_status_updated", "status", "updated_at"),
        Index("ix_posts_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # what the author wrote to stand for the post in listings, feeds, meta and mail ("" if none)
    summary: Mapped[str] = mapped_column(Text, default="")
    # what listings show: the summary, else the first lines of the body as plain text
    excerpt: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PostStatus] = mapped_column(
        str_enum(PostStatus),
        default=PostStatus.DRAFT,
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    allow_comments: Mapped[bool] = mapped_column(Boolean, default=True)
    # when subscribers were mailed about this post; None until it first goes live
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )

    # many-to-one
    author: Mapped[User] = relationship(back_populates="posts")
    category: Mapped[Category | None] = relationship(back_populates="posts")
    # many-to-many; a post has a handful of tags, so a plain list is fine here
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", order_by="Tag.name"
    )
    # one-to-many, unbounded: read through the comments service, page by page
    comments: WriteOnlyMapped[Comment] = relationship(back_populates="post", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.slug!r} {self.status.value}>"

    def is_visible(self, now: datetime) -> bool:
        """True when the public may read this post at time `now`."""
        return self.visible_at(self.status, self.published_at, now)

    @staticmethod
    def visible_at(status: PostStatus, published_at: datetime | None, now: datetime) -> bool:
        """The rule of is_visible, for a post read as plain values."""
        return status is not PostStatus.DRAFT and published_at is not None and published_at <= now

    @classmethod
    def visible_clause(cls, now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
        """SQL condition matching the posts the public may read at time `now`."""
        # "not a draft" rather than "status IN (…)": an inequality cannot lead the planner onto
        # the status index, so listings walk (published_at, id) newest-first and stop early
        return and_(cls.status != PostStatus.DRAFT, cls.published_at <= now)
