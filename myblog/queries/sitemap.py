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


def _newest(kind: str, ident: Any, key: Any) -> Select[*tuple[Any, ...]]:
    """A row per group with the newest publication and edit among its readable posts."""
    return select(
        _constant(KINDS.index(kind)).label("rank"),
        ident.label("id"),
        key.label("key"),
        func.max(Post.published_at).label("published"),
        func.max(Post.updated_at).label("updated"),
    ).where(_visible())


@statement
def _pages() -> CompoundSelect[*tuple[Any, ...]]:
    unknown = type_coerce(null(), UTCDateTime())
    about = select(_constant(KINDS.index("about")), _constant(0), _constant(""), unknown, unknown)
    post = select(
        _constant(KINDS.index("post")), Post.id, Post.slug, Post.published_at, Post.updated_at
    ).where(_visible())
    category = _newest("category", Category.id, Category.slug).join(
        Category, Post.category_id == Category.id
    )
    tag = (
        _newest("tag", Tag.id, Tag.slug)
        .join(post_tags, post_tags.c.post_id == Post.id)
        .join(Tag, Tag.id == post_tags.c.tag_id)
    )
    author = _newest("author", User.id, User.username).join(User, Post.author_id == User.id)
    return union_all(
        _newest("home", _constant(0), _constant("")).select_from(Post),
        _newest("archive", _constant(0), _constant("")).select_from(Post),
        about,
        post,
        category.group_by(Category.id, Category.slug),
        tag.group_by(Tag.id, Tag.slug),
        author.group_by(User.id, User.username),
    )


@statement
def _page_statement() -> Select[*tuple[Any, ...]]:
    pages = _pages().subquery()
    return (
        select(pages.c.rank, pages.c.key, pages.c.published, pages.c.updated)
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
    found = []
    for rank, key, published, updated in rows(_page_statement(), params):
        dates = [moment for moment in (published, updated) if moment is not None]
        found.append(SitemapRow(KINDS[rank], key, max(dates) if dates else None))
    return found


def sitemap_size(now: datetime | None = None) -> int:
    """How many pages the sitemap lists."""
    [(count,)] = rows(_count_statement(), {"now": now or utcnow()})
    return int(count)
