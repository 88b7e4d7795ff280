"""What the sitemap reads: every public page worth indexing with its last change, a page of
rows per statement.

The home page, the archive and the About page come first, then every readable post, then the
categories, tags and authors that have one, in a fixed order (kind, then id) so that a page
number always means the same rows. A page is one statement, and counting them all is one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)

from myblog.models import Category, Post, Tag, User, post_tags
from myblog.models.types import UTCDateTime, utcnow
from myblog.queries import rows, statement

# the order of the sitemap, by kind
KINDS = ("home", "archive", "about", "post", "category", "tag", "author")


@dataclass(frozen=True, slots=True)
class SitemapRow:
    """One page of the blog: its kind, its slug or username ("" for the fixed pages), and when
    it last changed (None when unknown)."""

    kind: str
    key: str
    lastmod: datetime | None


def _constant(value: int | str) -> ColumnElement[Any]:
    # written into the SQL, not bound: both databases then type the UNION's columns alike
    if isinstance(value, int):
        return literal_column(str(value), Integer)
    return literal_column(f"'{value}'", String)


def _visible() -> ColumnElement[bool]:
    return Post.visible_clause(bindparam("now", type_=UTCDateTime()))


def _changed() -> ColumnElement[datetime]:
    # a post's last change: its last edit, or its publication when that came later (a post
    # scheduled ahead goes live after its last edit); one date per row to read back
    return case((Post.updated_at > Post.published_at, Post.updated_at), else_=Post.published_at)


@statement
def _pages() -> CompoundSelect[*tuple[Any, ...]]:
    # the readable posts are read once (a CTE both databases materialise, since it is used
    # several times), not once per kind of page: the posts table's rows are wide
    visible = (
        select(Post.id, Post.slug, Post.category_id, Post.author_id, _changed().label("lastmod"))
        .where(_visible())
        .cte("visible")
    )

    def newest(kind: str, ident: Any, key: Any) -> Select[*tuple[Any, ...]]:
        """A row per group with the last change among its readable posts."""
        rank = _constant(KINDS.index(kind)).label("rank")
        lastmod = func.max(visible.c.lastmod).label("lastmod")
        return select(rank, ident.label("id"), key.label("key"), lastmod)

    unknown = type_coerce(null(), UTCDateTime())
    whole = newest("home", _constant(0), _constant("")).select_from(visible)
    by_tag = visible.join(post_tags, post_tags.c.post_id == visible.c.id).join(Tag)
    return union_all(
        whole,
        newest("archive", _constant(0), _constant("")).select_from(visible),
        select(_constant(KINDS.index("about")), _constant(0), _constant(""), unknown),
        select(_constant(KINDS.index("post")), visible.c.id, visible.c.slug, visible.c.lastmod),
        newest("category", Category.id, Category.slug)
        .select_from(visible.join(Category, visible.c.category_id == Category.id))
        .group_by(Category.id, Category.slug),
        newest("tag", Tag.id, Tag.slug).select_from(by_tag).group_by(Tag.id, Tag.slug),
        newest("author", User.id, User.username)
        .select_from(visible.join(User, visible.c.author_id == User.id))
        .group_by(User.id, User.username),
    )


@statement
def _page_statement() -> Select[*tuple[Any, ...]]:
    pages = _pages().subquery()
    return (
        select(pages.c.rank, pages.c.key, pages.c.lastmod)
        .order_by(pages.c.rank, pages.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@statement
def _count_statement() -> Select[*tuple[Any, ...]]:
    return select(func.count()).select_from(_pages().subquery())


def sitemap_rows(*, offset: int, limit: int, now: datetime | None = None) -> list[SitemapRow]:
    """`limit` pages of the sitemap from the `offset`-th on (0 is the home page)."""
    params = {"now": now or utcnow(), "limit": limit, "offset": offset}
    return [
        SitemapRow(KINDS[rank], key, lastmod)
        for rank, key, lastmod in rows(_page_statement(), params)
    ]


def sitemap_size(now: datetime | None = None) -> int:
    """How many pages the sitemap lists."""
    [(count,)] = rows(_count_statement(), {"now": now or utcnow()})
    return int(count)
