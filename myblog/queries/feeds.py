"""What the Atom and JSON feeds read: the newest readable posts of the blog, a category, a tag
or an author, with their byline, in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam

from myblog.models import Post
from myblog.models.types import UTCDateTime, utcnow
from myblog.queries import rows, statement
from myblog.queries.bylines import AuthorRef, TermRef, pop_byline, select_with_byline
from myblog.queries.listings import post_filter

KINDS = ("all", "category", "tag", "author")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One post as a feed carries it: plain values, no ORM instance behind them."""

    id: int
    title: str
    slug: str
    excerpt: str
    created_at: datetime
    published_at: datetime
    # the later of the last edit and the publication (a post scheduled ahead goes live later)
    updated_at: datetime
    author: AuthorRef
    category: TermRef | None
    tags: list[TermRef]
    # the rendered post, when the blog's feeds carry whole posts; None when they carry summaries
    body_html: str | None = None


@statement
def _entries_statement(kind: str, full: bool) -> Select[*tuple[Any, ...]]:
    columns = [Post.id, Post.title, Post.slug, Post.excerpt]
    columns += [Post.created_at, Post.published_at, Post.updated_at]
    if full:
        columns.append(Post.body_html)
    return (
        select_with_byline(*columns)
        .where(Post.visible_clause(bindparam("now", type_=UTCDateTime())), post_filter(kind))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(bindparam("limit"))
    )


def feed_entries(
    *,
    limit: int,
    full: bool,
    kind: str = "all",
    key: int | None = None,
    now: datetime | None = None,
) -> list[FeedEntry]:
    """The newest `limit` readable posts, of the whole blog (`kind` "all") or of the category,
    tag or author whose id is `key`; with their HTML when `full`."""
    if kind not in KINDS:
        raise ValueError(f"no feed of kind {kind!r}")
    params: dict[str, Any] = {"now": now or utcnow(), "limit": limit}
    if kind != "all":
        params["key"] = key
    entries = []
    for row in rows(_entries_statement(kind, full), params):
        values = row._asdict()
        byline = pop_byline(values)
        values["updated_at"] = max(values["updated_at"], values["published_at"])
        entries.append(FeedEntry(**values, **byline))
    return entries
