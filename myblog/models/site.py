"""Blog-wide settings kept in the database: a single row, created by the first-run setup."""

import enum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from myblog.extensions import db
from myblog.models.comment import CommentPolicy
from myblog.models.types import str_enum


class FeedContent(enum.StrEnum):
    """What a feed's entries carry: the excerpt, or the whole post."""

    SUMMARY = "summary"
    FULL = "full"


class Site(db.Model):  # type: ignore[name-defined]
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    tagline: Mapped[str] = mapped_column(String(255), default="")
    about: Mapped[str] = mapped_column(Text, default="")
    about_html: Mapped[str] = mapped_column(Text, default="")
    comment_policy: Mapped[CommentPolicy] = mapped_column(
        str_enum(CommentPolicy), default=CommentPolicy.TRUST_RETURNING
    )
    # the blog's default language (a Babel locale: en, zh_CN): of its mail, and of pages for
    # readers who have not chosen one
    language: Mapped[str] = mapped_column(String(16), default="en")
    # the blog's time zone (an IANA name): dates on pages, in feeds and mail, the editor's
    # scheduling field; every time is stored in UTC
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # what the Atom and JSON feeds carry of each post
    feed_content: Mapped[FeedContent] = mapped_column(
        str_enum(FeedContent), default=FeedContent.SUMMARY
    )

    def __repr__(self) -> str:
        return f"<Site {self.title!r}>"
