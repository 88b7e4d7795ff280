"""Public listings: the home page, category, tag, author and month pages, and the archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select, true

from myblog.extensions import cache
from myblog.models import Category, Post, PostStatus, Profile, Tag, User, post_tags
from myblog.models.types import UTCDateTime, utcnow
from myblog.queries import rows, statement
from myblog.queries.bylines import AuthorRef, TermRef, pop_byline, select_with_byline
from myblog.queries.post_page import live_position


class PageNotFound(LookupError):
    """The requested page is past the end of the listing."""


@dataclass(frozen=True, slots=True)
class PostCard:
    """What a listing shows of a post: plain values, no ORM instance behind them."""

    id: int
    title: str
    slug: str
    excerpt: str
    published_at: datetime
    updated_at: datetime
    author: AuthorRef
    category: TermRef | None
    tags: list[TermRef]


@dataclass(frozen=True)
class Page:
    """One page of a listing; knows its neighbours without counting every row."""

    items: list[PostCard]
    page: int
    per_page: int
    has_next: bool
    # the newest live event when the home page's posts were read (None: other listings, or
    # no post at all); the page's live script follows from there
    live_after: int | None = None
    # how many posts the whole listing holds (cached: see _total); None when not counted
    total: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int:
        """The number of the last page (a count cached a moment ago never hides this page's
        successor: the extra row read with the page says whether it exists)."""
        if not self.has_next:
            return self.page
        counted = -(-(self.total or 0) // self.per_page)
        return max(counted, self.page + 1)

    def iter_pages(
        self,
        *,
        left_edge: int = 1,
        left_current: int = 2,
        right_current: int = 2,
        right_edge: int = 1,
    ) -> Iterator[int | None]:
        """Page numbers to link, None where a run of them is left out ("1 2 … 9 10")."""
        last = self.pages
        shown = [
            n
            for n in range(1, last + 1)
            if n <= left_edge
            or self.page - left_current <= n <= self.page + right_current
            or n > last - right_edge
        ]
        previous = 0
        for number in shown:
            if number != previous + 1:
                yield None
            yield number
            previous = number

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


@dataclass(frozen=True, slots=True)
class Term:
    """A category or tag as its public page shows it."""

    id: int
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class AuthorInfo:
    """An author as their public page shows them."""

    id: int
    username: str
    display_name: str
    bio: str | None
    website: str | None = None
    avatar: str | None = None


_FILTERS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "all": lambda: true(),
    "category": lambda: Post.category_id == bindparam("key"),
    "author": lambda: Post.author_id == bindparam("key"),
    "tag": lambda: Post.id.in_(
        select(post_tags.c.post_id).where(post_tags.c.tag_id == bindparam("key"))
    ),
    "month": lambda: and_(
        Post.published_at >= bindparam("start", type_=UTCDateTime()),
        Post.published_at < bindparam("end", type_=UTCDateTime()),
    ),
}


def post_filter(kind: str) -> ColumnElement[bool]:
    """The condition of one kind of listing ("all", "category", "tag", "author", "month"),
    with its bound parameters (`key`, or `start` and `end`)."""
    return _FILTERS[kind]()


@statement
def _listing(kind: str) -> Select[*tuple[Any, ...]]:
    columns = [Post.id, Post.title, Post.slug, Post.excerpt, Post.published_at, Post.updated_at]
    if kind == "all":  # the home page follows new posts live
        columns.append(live_position())
    return (
        select_with_byline(*columns)
        .where(Post.visible_clause(bindparam("now", type_=UTCDateTime())), _FILTERS[kind]())
        .order_by(Post.published_at.desc(), Post.id.desc())
        # bound, not literal, so that one statement object serves every page number
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@statement
def _count_statement(kind: str) -> Select[*tuple[Any, ...]]:
    # readable = dated by now, less the drafts dated by now. Counting "not a draft" directly
    # reads every post's row for its status (past its body, often in overflow pages: 108 ms for
    # 10,000 posts on SQLite); the dated ones are counted on an index holding published_at, and
    # the drafts are few, found through the status index (2 ms).
    def dated(*also: ColumnElement[bool]) -> Any:
        now = bindparam("now", type_=UTCDateTime())
        where = (Post.published_at <= now, _FILTERS[kind](), *also)
        return select(func.count(Post.id)).where(*where).scalar_subquery()

    return select(dated() - dated(Post.status == PostStatus.DRAFT))


COUNTS_GENERATION_KEY = "myblog:listing-counts"


def posts_generation() -> str:
    """A token that changes whenever posts change (forget_archive): cached answers about
    posts (listing counts, related posts) are kept under it, so all are dropped at once."""
    generation: str | None = cache.get(COUNTS_GENERATION_KEY)
    if generation is None:
        generation = uuid4().hex
        cache.set(COUNTS_GENERATION_KEY, generation)
    return generation


def _total(kind: str, params: dict[str, Any]) -> int:
    # Page numbers need the listing's size, and counting grows with the blog: the count is
    # cached (MYBLOG_CACHE_SECONDS) under a generation that forget_archive() replaces whenever
    # posts change, so every listing's count is dropped at once.
    where = ":".join(str(params.get(name, "")) for name in ("key", "start"))
    key = f"myblog:listing-count:{posts_generation()}:{kind}:{where}"
    total: int | None = cache.get(key)
    if total is None:
        total = int(rows(_count_statement(kind), params)[0][0])
        cache.set(key, total)
    return total


def _page(
    kind: str, params: dict[str, Any], page: int, per_page: int, *, with_total: bool = True
) -> Page:
    # one row more than a page tells whether another page follows; a COUNT(*) over every
    # readable post would make each request slower as the blog grows
    params = {**params, "limit": per_page + 1, "offset": (page - 1) * per_page}
    found = rows(_listing(kind), params)
    if not found and page > 1:
        raise PageNotFound(page)
    cards = []
    live_after = None
    for row in found[:per_page]:
        values = row._asdict()
        byline = pop_byline(values)
        live_after = values.pop("live_after", None)
        cards.append(PostCard(**values, **byline))
    has_next = len(found) > per_page
    total = _total(kind, params) if with_total else None
    return Page(
        cards, page=page, per_page=per_page, has_next=has_next, live_after=live_after, total=total
    )


def public_posts(
    *,
    page: int,
    per_page: int,
    now: datetime | None = None,
    category: Term | None = None,
    tag: Term | None = None,
    author: AuthorInfo | None = None,
    with_total: bool = True,
) -> Page:
    """One page of the posts the public may read, newest first, optionally filtered by one of
    category, tag or author; `with_total` counts them all, for page numbers."""
    params: dict[str, Any] = {"now": now or utcnow()}
    kind = "all"
    for name, term in (("category", category), ("tag", tag), ("author", author)):
        if term is not None:
            kind, params["key"] = name, term.id
    return _page(kind, params, page, per_page, with_total=with_total)


def posts_in_month(
    *, year: int, month: int, page: int, per_page: int, now: datetime | None = None
) -> Page:
    """One page of the readable posts published in the given month."""
    start = datetime(year, month, 1, tzinfo=UTC)
    if (year, month) == (MAXYEAR, 12):  # the month after does not exist
        end = datetime.max.replace(tzinfo=UTC)
    else:
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    params = {"now": now or utcnow(), "start": start, "end": end}
    return _page("month", params, page, per_page)


_TERMS: dict[str, type[Category] | type[Tag]] = {"Category": Category, "Tag": Tag}


@statement
def _term_statement(kind: str) -> Select[*tuple[Any, ...]]:
    model = _TERMS[kind]
    return select(model.id, model.name, model.slug).where(model.slug == bindparam("slug"))


@statement
def _author_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            User.id,
            User.username,
            Profile.display_name,
            Profile.bio,
            Profile.website,
            Profile.avatar,
        )
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.username == bindparam("username"))
    )


def find_term(model: type[Category] | type[Tag], slug: str) -> Term | None:
    """The category or tag with this slug, as its public page shows it."""
    found = rows(_term_statement(model.__name__), {"slug": slug})
    return Term(**found[0]._asdict()) if found else None


def find_author(username: str) -> AuthorInfo | None:
    """The user with this username, as their public page shows them."""
    found = rows(_author_statement(), {"username": username})
    if not found:
        return None
    author = found[0]
    display_name = author.display_name or author.username
    return AuthorInfo(
        author.id, author.username, display_name, author.bio, author.website, author.avatar
    )


ARCHIVE_CACHE_KEY = "myblog:archive"


def archive_months(now: datetime | None = None) -> list[tuple[int, int, int]]:
    """(year, month, number of posts) for every month with readable posts, newest first.

    Counting every post is the one listing whose work grows with the blog, so the current
    answer is cached until `forget_archive()` (a post saved, deleted or gone live).
    """
    if now is None:
        cached: list[tuple[int, int, int]] | None = cache.get(ARCHIVE_CACHE_KEY)
        if cached is not None:
            return cached
    year = func.extract("year", Post.published_at)
    month = func.extract("month", Post.published_at)
    counted = rows(
        select(year, month, func.count(Post.id))
        .where(Post.visible_clause(now or utcnow()))
        .group_by(year, month)
        .order_by(year.desc(), month.desc()),
        {},
    )
    months = [(int(y), int(m), int(c)) for y, m, c in counted]
    if now is None:
        cache.set(ARCHIVE_CACHE_KEY, months)
    return months


def forget_archive() -> None:
    """Drop the cached archive counts, and the listings' counts, after posts changed."""
    cache.delete(ARCHIVE_CACHE_KEY)
    cache.set(COUNTS_GENERATION_KEY, uuid4().hex)
