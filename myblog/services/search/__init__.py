"""Search: one service, two back ends.

- `text.py` cuts titles, tags, bodies and queries into the same folded tokens (CJK strings as
  bigrams and characters) and parses a query into terms; nothing typed reaches SQL as syntax.
- `documents.py` builds a post's index entry from plain values.
- `sqlite.py` (FTS5, bm25) and `postgres.py` (tsvector, GIN, ts_rank) store and match entries;
  the one in use follows the database's dialect.
- `snippets.py` escapes the plain text, then marks what matched.
The index holds every post whatever its status; what the public may read is decided when
searching (`Post.visible_clause`), so a scheduled post appears when its time comes with no
write to the index. Writes happen in the caller's transaction: a post and its index entry are
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import ColumnElement, Connection, Select, bindparam, false, func, select
from sqlalchemy.orm import selectinload

from myblog.extensions import db
from myblog.models import Post
from myblog.models.types import UTCDateTime, utcnow
from myblog.queries import rows, statement
from myblog.queries.bylines import AuthorRef, TermRef, pop_byline, select_with_byline
from myblog.queries.listings import PageNotFound
from myblog.services.search import postgres, sqlite
from myblog.services.search.documents import build_document, post_count, read_documents
from myblog.services.search.snippets import highlight, snippet
from myblog.services.search.text import MAX_QUERY, Query, QueryProblem, parse_query

__all__ = [
    "MAX_QUERY",
    "Query",
    "QueryProblem",
    "SearchHit",
    "SearchResults",
    "index_post",
    "indexable_count",
    "matching_posts",
    "parse_query",
    "rebuild",
    "reindex_all",
    "reindex_posts",
    "search_posts",
    "settle_index",
    "unindex_post",
]


def backend(connection: Connection | None = None) -> ModuleType:
    """The back end of this connection's database (by default, the app's)."""
    dialect = connection.dialect if connection is not None else db.engine.dialect
    return sqlite if dialect.name == "sqlite" else postgres


# -- keeping the index -------------------------------------------------------------------------


def index_post(post: Post) -> None:
    """Write the post's index entry in the session's transaction (flushing it first, so a new
    post has its id); the caller commits."""
    db.session.flush()
    connection = db.session.connection()
    document = build_document(post.id, post.title, [t.name for t in post.tags], post.body_html)
    backend(connection).write(connection, [document])


def unindex_post(post_id: int) -> None:
    """Remove a post's index entry in the session's transaction; the caller commits."""
    connection = db.session.connection()
    backend(connection).delete(connection, [post_id])


def reindex_posts(post_ids: Sequence[int]) -> None:
    """Rewrite the index entries of these posts (after a tag they carry changed); the caller
    commits."""
    if not post_ids:
        return
    db.session.flush()
    posts = db.session.scalars(
        select(Post)
        .where(Post.id.in_(post_ids))
        .options(selectinload(Post.tags))
        .execution_options(populate_existing=True)  # their tags may have changed in SQL
    )
    for post in posts:
        index_post(post)


def rebuild(connection: Connection, progress: Callable[[int], None] | None = None) -> int:
    """Empty the index and write every post's entry again on this connection (inside its
    transaction); returns how many posts it indexed."""
    engine = backend(connection)
    engine.clear(connection)
    count = 0
    for batch in read_documents(connection, progress=progress):
        engine.write(connection, batch)
        count += len(batch)
    engine.settle(connection)
    return count


def settle_index(connection: Connection) -> None:
    """After writing many entries at once (a forge, an import): leave the index as it would be
    once the database has tidied it."""
    backend(connection).settle(connection)


def reindex_all(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index in one transaction and commit; returns the count of posts."""
    count = rebuild(db.session.connection(), progress)
    db.session.commit()
    return count


def indexable_count() -> int:
    """How many posts a rebuild goes through."""
    return post_count(db.session.connection())


# -- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the post's card values, its title and a snippet with matches marked."""

    id: int
    title: str
    slug: str
    published_at: datetime
    updated_at: datetime
    author: AuthorRef
    category: TermRef | None
    tags: list[TermRef]
    title_html: Markup
    snippet: Markup


@dataclass(frozen=True)
class SearchResults:
    """A page of results, or why there are none (`problem`: "empty", "too long", "no words")."""

    query: str
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    problem: str | None = None
    # more posts match than were ranked: the best of the newest matches (and of the newest
    # matching in a title or tag) are shown, `total` counts those
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self,
        *,
        left_edge: int = 1,
        left_current: int = 2,
        right_current: int = 2,
        right_edge: int = 1,
    ) -> list[int | None]:
        """Page numbers to link, None for a gap (as Flask-SQLAlchemy's pagination gives)."""
        shown = {
            *range(1, left_edge + 1),
            *range(self.page - left_current, self.page + right_current + 1),
            *range(self.pages - right_edge + 1, self.pages + 1),
        }
        numbers: list[int | None] = []
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


@statement
def _results(dialect: str) -> Select[Any]:
    engine = sqlite if dialect == "sqlite" else postgres
    # the candidates, ranked, apart (FTS5 only ranks in a query of its own table); then only
    # the page's rows fetch their byline and text
    matches = engine.hits().cte("matches").prefix_with("MATERIALIZED")
    page = (
        select(matches.c.post_id, matches.c.rank, func.count().over().label("total"))
        .join(Post, Post.id == matches.c.post_id)
        .where(Post.visible_clause(bindparam("now", type_=UTCDateTime())))
        .order_by(matches.c.rank, Post.published_at.desc(), Post.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    return (
        select_with_byline(Post.id, Post.title, Post.slug, Post.published_at, Post.updated_at)
        .add_columns(
            page.c.total,
            engine.match_count().label("matched"),
            engine.plain_text(Post.id).label("plain"),
        )
        .join(page, page.c.post_id == Post.id)
        .order_by(page.c.rank, Post.published_at.desc(), Post.id.desc())
    )


def _hit(values: dict[str, Any], query: Query) -> SearchHit:
    byline = pop_byline(values)
    plain = values.pop("plain")
    values.pop("total")
    values.pop("matched")
    return SearchHit(
        **values,
        **byline,
        title_html=highlight(values["title"], query.terms),
        snippet=snippet(plain, query.terms),
    )


def search_posts(
    raw: str, *, page: int, per_page: int, now: datetime | None = None
) -> SearchResults:
    """One page of the published posts matching what a reader typed, best first; a query that
    cannot be searched gives no hits and its `problem`. PageNotFound past the last page."""
    try:
        query = parse_query(raw)
    except QueryProblem as problem:
        return SearchResults(" ".join(raw.split())[:MAX_QUERY], [], 0, 1, per_page, str(problem))
    if not query.terms:
        return SearchResults(query.text, [], 0, 1, per_page, "no words")
    dialect = db.engine.dialect.name
    candidates = int(current_app.config["MYBLOG_SEARCH_CANDIDATES"])
    params = {
        **backend().params(query),
        "now": now or utcnow(),
        "limit": per_page,
        "offset": (page - 1) * per_page,
        "candidates": candidates,
        "counted": candidates + 1,
    }
    found = rows(_results(dialect), params)
    if not found and page > 1:
        raise PageNotFound(page)
    total = found[0].total if found else 0
    more = bool(found) and found[0].matched > candidates
    hits = [_hit(row._asdict(), query) for row in found]
    return SearchResults(query.text, hits, total, page, per_page, more=more)


def matching_posts(raw: str) -> ColumnElement[bool]:
    """A condition on Post for the posts (any status) matching the query, for the writers'
    list; matching nothing when the query has nothing to search for or is too long."""
    try:
        query = parse_query(raw)
    except QueryProblem:
        return false()
    if not query.terms:
        return false()
    return Post.id.in_(backend().matching_ids(query))
