"""Writing, publishing and reading posts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    func,
    literal,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import defer, joinedload, selectinload

from myblog.extensions import cache as cache_store
from myblog.extensions import db, read_rows
from myblog.models import Category, Post, PostStatus, Profile, Tag, User, post_tags
from myblog.models.types import UTCDateTime, utcnow
from myblog.services.announcements import announce
from myblog.services.markdown import make_excerpt, render_markdown
from myblog.services.slugs import slugify, unique_slug
from myblog.services.taxonomy import TaxonomyError, get_or_create_tags

MAX_BODY = 500_000


@dataclass(frozen=True)
class Page:
    """One page of a listing; knows its neighbours without counting every row."""

    items: list[PostCard]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


class PageNotFound(LookupError):
    """The requested page is past the end of the listing."""


class PostError(ValueError):
    """A user-facing reason why a post could not be saved."""


@dataclass(frozen=True)
class PostInput:
    """What the editor submits."""

    title: str
    body: str
    slug: str = ""
    status: PostStatus = PostStatus.DRAFT
    published_at: datetime | None = None
    category_id: int | None = None
    tags: Sequence[str] = ()
    allow_comments: bool = True


def can_edit(user: User, post: Post | PostView) -> bool:
    """Owners and admins edit every post; authors only their own."""
    return user.is_admin or post.author_id == user.id


def _slug_taken(slug: str, post_id: int | None) -> bool:
    query = select(Post.id).where(Post.slug == slug)
    if post_id is not None:
        query = query.where(Post.id != post_id)
    return db.session.scalar(query.limit(1)) is not None


def _schedule(post: Post, status: PostStatus, when: datetime | None, now: datetime) -> None:
    if status is PostStatus.DRAFT:
        post.status = status
        return
    if status is PostStatus.SCHEDULED:
        if when is None:
            raise PostError("Choose the date and time at which the post goes live.")
        post.status = PostStatus.SCHEDULED if when > now else PostStatus.PUBLISHED
        post.published_at = when
        return
    post.status = PostStatus.PUBLISHED
    # keep the original date when a published post is edited
    post.published_at = when or post.published_at or now


def save_post(
    data: PostInput, *, author: User, post: Post | None = None, now: datetime | None = None
) -> Post:
    """Create or update a post: slug, rendered HTML, excerpt, tags, schedule; commits."""
    now = now or utcnow()
    title = data.title.strip()
    if not title:
        raise PostError("A post needs a title.")
    try:
        with db.session.no_autoflush:
            post = _apply(data, title=title, author=author, post=post, now=now)
    except (PostError, TaxonomyError):
        # a half-built post (or its new tags) must not ride along on the caller's next commit
        db.session.rollback()
        raise
    # a post that is live now mails its subscribers once, in the same commit as the save
    announce(post, now=now)
    db.session.commit()
    _listings_changed()
    return post


def _apply(data: PostInput, *, title: str, author: User, post: Post | None, now: datetime) -> Post:
    if post is None:
        post = Post(author=author)
        db.session.add(post)
    requested = slugify(data.slug) if data.slug.strip() else ""
    if requested and _slug_taken(requested, post.id):
        raise PostError(f"The slug “{requested}” is already used by another post.")
    if not requested:
        base = post.slug if post.slug else slugify(title)
        requested = unique_slug(base, lambda s: _slug_taken(s, post.id))
    post.title = title
    post.slug = requested
    if post.body != data.body or not post.body_html:
        post.body = data.body
        post.body_html = render_markdown(data.body)
        post.excerpt = make_excerpt(data.body)
    post.category_id = data.category_id
    post.tags = get_or_create_tags(data.tags)
    post.allow_comments = data.allow_comments
    _schedule(post, data.status, data.published_at, now)
    return post


def delete_post(post: Post) -> None:
    """Delete a post for good."""
    db.session.delete(post)
    db.session.commit()
    _listings_changed()


def promote_due_posts(now: datetime | None = None) -> list[Post]:
    """Mark scheduled posts whose time has come as published; returns them."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Post).where(Post.status == PostStatus.SCHEDULED, Post.published_at <= now)
        )
    )
    for post in due:
        post.status = PostStatus.PUBLISHED
        announce(post, now=now, catch_up=True)
    if due:
        db.session.commit()
        _listings_changed()
    return due


def rerender_all(progress: Callable[[int], None] | None = None, batch: int = 200) -> int:
    """Re-render every post's HTML and excerpt from its Markdown; returns the count."""
    count = 0
    last_id = 0
    while True:
        posts = list(
            db.session.scalars(select(Post).where(Post.id > last_id).order_by(Post.id).limit(batch))
        )
        if not posts:
            return count
        for post in posts:
            post.body_html = render_markdown(post.body)
            post.excerpt = make_excerpt(post.body)
        db.session.commit()
        count += len(posts)
        last_id = posts[-1].id
        if progress:
            progress(len(posts))


# -- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorRef:
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class TermRef:
    name: str
    slug: str


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


_CARD_COLUMNS = (
    Post.id,
    Post.title,
    Post.slug,
    Post.excerpt,
    Post.published_at,
    Post.updated_at,
    User.username,
    Profile.display_name,
    Category.name,
    Category.slug,
)


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


@cache
def _listing(kind: str) -> Select[*tuple[Any, ...]]:
    # Built once per kind and reused with bound parameters: listings are the most read pages,
    # and plain columns spare them building identity-mapped ORM instances.
    return (
        select(*_CARD_COLUMNS, _tags_column())
        .join(User, Post.author_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(Category, Post.category_id == Category.id)
        .where(Post.visible_clause(bindparam("now", type_=UTCDateTime())), _FILTERS[kind]())
        .order_by(Post.published_at.desc(), Post.id.desc())
        # bound, not literal: the very same statement object runs for every page, so its cache
        # key and result metadata are computed once (a fresh .limit(11) costs ~0.1 ms a request)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


# A post's tags travel in its own row as "slug\x1fname" pairs joined by "\x1e" (group_concat on
# SQLite, string_agg on PostgreSQL): one statement per listing instead of two. Tag names and
# slugs never hold these characters: names are whitespace-normalised (str.split() treats
# \x1c-\x1f as whitespace) and slugs are made of letters, digits and dashes.
_PAIR, _NEXT = "\x1f", "\x1e"


def _tags_column() -> ScalarSelect[str]:
    return (
        select(func.aggregate_strings(Tag.slug + _PAIR + Tag.name, _NEXT))
        .select_from(post_tags.join(Tag, Tag.id == post_tags.c.tag_id))
        .where(post_tags.c.post_id == Post.id)
        .scalar_subquery()
    )


def _tags_from(packed: str | None) -> list[TermRef]:
    if not packed:
        return []
    tags = [
        TermRef(name, slug) for slug, _, name in (p.partition(_PAIR) for p in packed.split(_NEXT))
    ]
    tags.sort(key=attrgetter("name"))
    return tags


def _refs(
    username: str, display_name: str | None, cat_name: str | None, cat_slug: str | None, tags: str
) -> dict[str, Any]:
    """Author, category and tags of a post, from the columns every post read ends with."""
    return {
        "author": AuthorRef(username, display_name or username),
        "category": TermRef(cat_name, cat_slug)
        if cat_name is not None and cat_slug is not None
        else None,
        "tags": _tags_from(tags),
    }


def _page(kind: str, params: dict[str, Any], page: int, per_page: int) -> Page:
    # one row more than a page tells whether another page follows; a COUNT(*) over every
    # readable post would make each request slower as the blog grows
    params = {**params, "limit": per_page + 1, "offset": (page - 1) * per_page}
    rows = read_rows(_listing(kind), params)
    if not rows and page > 1:
        raise PageNotFound(page)
    has_next = len(rows) > per_page
    # the card's own columns come first, in PostCard's field order; then author, category, tags
    cards = [PostCard(*row[:6], **_refs(*row[6:])) for row in rows[:per_page]]
    return Page(items=cards, page=page, per_page=per_page, has_next=has_next)


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


_TERMS: dict[str, type[Category] | type[Tag]] = {"Category": Category, "Tag": Tag}


@cache
def _term_statement(kind: str) -> Select[int, str, str]:
    model = _TERMS[kind]
    return select(model.id, model.name, model.slug).where(model.slug == bindparam("slug"))


@cache
def _author_statement() -> Select[int, str, str | None, str | None]:
    return (
        select(User.id, User.username, Profile.display_name, Profile.bio)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.username == bindparam("username"))
    )


def find_term(model: type[Category] | type[Tag], slug: str) -> Term | None:
    """The category or tag with this slug, read as plain values (a public page needs no more)."""
    rows = read_rows(_term_statement(model.__name__), {"slug": slug})
    return Term(*rows[0]) if rows else None


def find_author(username: str) -> AuthorInfo | None:
    """The user with this username, as their public page shows them."""
    rows = read_rows(_author_statement(), {"username": username})
    if not rows:
        return None
    user_id, name, display_name, bio = rows[0]
    return AuthorInfo(user_id, name, display_name or name, bio)


def public_posts(
    *,
    page: int,
    per_page: int,
    now: datetime | None = None,
    category: Category | Term | None = None,
    tag: Tag | Term | None = None,
    author: User | AuthorInfo | None = None,
) -> Page:
    """One page of the posts the public may read, newest first, optionally filtered by one of
    category, tag or author."""
    params: dict[str, Any] = {"now": now or utcnow()}
    kind = "all"
    for name, term in (("category", category), ("tag", tag), ("author", author)):
        if term is not None:
            kind, params["key"] = name, term.id
    return _page(kind, params, page, per_page)


def posts_in_month(
    *, year: int, month: int, page: int, per_page: int, now: datetime | None = None
) -> Page:
    """One page of the readable posts published in the given month."""
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    params = {"now": now or utcnow(), "start": start, "end": end}
    return _page("month", params, page, per_page)


ARCHIVE_CACHE_KEY = "myblog:archive"


def archive_months(now: datetime | None = None) -> list[tuple[int, int, int]]:
    """(year, month, number of posts) for every month with readable posts, newest first.

    Counting every post is the one listing whose work grows with the blog, so the current
    answer is cached (dropped whenever a post is saved, deleted or goes live).
    """
    if now is None:
        cached: list[tuple[int, int, int]] | None = cache_store.get(ARCHIVE_CACHE_KEY)
        if cached is not None:
            return cached
    year = func.extract("year", Post.published_at)
    month = func.extract("month", Post.published_at)
    rows = db.session.execute(
        select(year, month, func.count(Post.id))
        .where(Post.visible_clause(now or utcnow()))
        .group_by(year, month)
        .order_by(year.desc(), month.desc())
    )
    months = [(int(y), int(m), int(c)) for y, m, c in rows]
    if now is None:
        cache_store.set(ARCHIVE_CACHE_KEY, months)
    return months


def _listings_changed() -> None:
    cache_store.delete(ARCHIVE_CACHE_KEY)


@cache
def _post_statement() -> Select[Post]:
    return (
        select(Post)
        .where(Post.slug == bindparam("slug"))
        .options(joinedload(Post.author), joinedload(Post.category), selectinload(Post.tags))
    )


def visible_post(slug: str, *, viewer: User | None, now: datetime | None = None) -> Post | None:
    """The post with this slug if the viewer may read it (drafts only for who may edit them)."""
    post: Post | None = db.session.execute(_post_statement(), {"slug": slug}).scalar()
    if post is None:
        return None
    if post.is_visible(now or utcnow()):
        return post
    if viewer is not None and can_edit(viewer, post):
        return post
    return None


@dataclass(frozen=True, slots=True)
class PostView:
    """What the post page shows of a post: plain values, no ORM instance behind them."""

    id: int
    title: str
    slug: str
    excerpt: str
    body_html: str
    status: PostStatus
    published_at: datetime | None
    allow_comments: bool
    author_id: int
    author: AuthorRef
    category: TermRef | None
    tags: list[TermRef]

    def is_visible(self, now: datetime) -> bool:
        return Post.visible_at(self.status, self.published_at, now)

    @classmethod
    def of(cls, post: Post) -> PostView:
        """The view of a post already loaded as an ORM instance."""
        author = post.author
        return cls(
            id=post.id,
            title=post.title,
            slug=post.slug,
            excerpt=post.excerpt,
            body_html=post.body_html,
            status=post.status,
            published_at=post.published_at,
            allow_comments=post.allow_comments,
            author_id=post.author_id,
            author=AuthorRef(author.username, author.display_name),
            category=TermRef(post.category.name, post.category.slug) if post.category else None,
            tags=[TermRef(tag.name, tag.slug) for tag in post.tags],
        )


@cache
def _post_view_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Post.id,
            Post.title,
            Post.slug,
            Post.excerpt,
            Post.body_html,
            Post.status,
            Post.published_at,
            Post.allow_comments,
            Post.author_id,
            User.username,
            Profile.display_name,
            Category.name,
            Category.slug,
            _tags_column(),
        )
        .join(User, Post.author_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(Category, Post.category_id == Category.id)
        .where(Post.slug == bindparam("slug"))
    )


def visible_post_view(
    slug: str, *, viewer: User | None, now: datetime | None = None
) -> PostView | None:
    """visible_post for the post page: the same rule, read as plain columns in one statement."""
    rows = read_rows(_post_view_statement(), {"slug": slug})
    if not rows:
        return None
    # the post's own columns come first, in PostView's field order; then author, category, tags
    row = rows[0]
    view = PostView(*row[:9], **_refs(*row[9:]))
    if not view.is_visible(now or utcnow()) and (viewer is None or not can_edit(viewer, view)):
        return None
    return view


@dataclass(frozen=True, slots=True)
class PostLink:
    """Just what a "previous/next post" link needs."""

    slug: str
    title: str


@cache
def _neighbour_statement(older: bool) -> Select[bool, str, str]:
    # (published_at, id) orders posts even when two share a timestamp, and matches the index
    here = tuple_(bindparam("at", type_=UTCDateTime()), bindparam("id"))
    position = tuple_(Post.published_at, Post.id)
    not_draft = Post.status != PostStatus.DRAFT
    if older:
        # anything older than a readable post is already in the past: a second upper bound
        # ("<= now") would make SQLite range on it and walk every newer post instead
        where = and_(not_draft, position < here)
        order = (Post.published_at.desc(), Post.id.desc())
    else:
        where = and_(Post.visible_clause(bindparam("now", type_=UTCDateTime())), position > here)
        order = (Post.published_at.asc(), Post.id.asc())
    return (
        select(literal(older).label("older"), Post.slug, Post.title)
        .where(where)
        .order_by(*order)
        .limit(1)
    )


@cache
def _neighbours_statement() -> CompoundSelect[bool, str, str]:
    # both links in one round trip; each half still walks the index and stops at one row
    halves = [_neighbour_statement(older).subquery() for older in (True, False)]
    return union_all(*(select(half) for half in halves))


def neighbours(
    post: Post | PostView, now: datetime | None = None
) -> tuple[PostLink | None, PostLink | None]:
    """The readable posts published just before and just after this one."""
    if post.published_at is None:
        return None, None
    params = {"at": post.published_at, "id": post.id, "now": now or utcnow()}
    found: dict[bool, PostLink] = {}
    for older, slug, title in read_rows(_neighbours_statement(), params):
        found[bool(older)] = PostLink(slug=slug, title=title)
    return found.get(True), found.get(False)


# -- the admin's list ----------------------------------------------------------------------


def manageable_posts(
    *, user: User, page: int, per_page: int, status: PostStatus | None = None
) -> Pagination:
    """Posts this user may manage (all for admins, own for authors), newest change first."""
    query = (
        select(Post)
        .options(
            defer(Post.body),
            defer(Post.body_html),
            joinedload(Post.author),
            joinedload(Post.category),
        )
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )
    if not user.is_admin:
        query = query.where(Post.author_id == user.id)
    if status is not None:
        query = query.where(Post.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def status_counts(user: User) -> dict[PostStatus, int]:
    """How many posts of each status this user may manage."""
    query = select(Post.status, func.count(Post.id)).group_by(Post.status)
    if not user.is_admin:
        query = query.where(Post.author_id == user.id)
    counts = {status: 0 for status in PostStatus}
    for status, count in db.session.execute(query):
        counts[PostStatus(status)] = count
    return counts


def tag_names(tags: Iterable[Tag]) -> str:
    """Tags as the editor shows them: comma separated."""
    return ", ".join(tag.name for tag in tags)
