"""The post page's reads: the post itself, the links to its neighbours, its comment thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    and_,
    bindparam,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

from myblog.models import Comment, CommentStatus, LiveEvent, Post, PostStatus, User
from myblog.models.types import UTCDateTime, utcnow
from myblog.queries import rows, statement
from myblog.queries.bylines import AuthorRef, TermRef, pop_byline, select_with_byline


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
    updated_at: datetime
    allow_comments: bool
    author_id: int
    author: AuthorRef
    category: TermRef | None
    tags: list[TermRef]
    # the newest live event when the post was read: the page's live script follows from there
    live_after: int = field(default=0, compare=False)

    def is_visible(self, now: datetime) -> bool:
        return Post.visible_at(self.status, self.published_at, now)


def live_position() -> Any:
    """The newest live event id, as a column of a page's statement: read in the same statement
    as what the page shows, so the page's script misses nothing committed after it (and what it
    gets twice, it recognises by id)."""
    newest = select(func.coalesce(func.max(LiveEvent.id), 0)).scalar_subquery()
    return newest.label("live_after")


@statement
def _post_view_statement() -> Select[*tuple[Any, ...]]:
    return select_with_byline(
        Post.id,
        Post.title,
        Post.slug,
        Post.excerpt,
        Post.body_html,
        Post.status,
        Post.published_at,
        Post.updated_at,
        Post.allow_comments,
        Post.author_id,
        live_position(),
    ).where(Post.slug == bindparam("slug"))


def visible_post_view(
    slug: str, *, viewer: User | None, now: datetime | None = None
) -> PostView | None:
    """The post with this slug if the viewer may read it: the public sees what is live, who
    may edit a post sees it in any state."""
    found = rows(_post_view_statement(), {"slug": slug})
    if not found:
        return None
    values = found[0]._asdict()
    byline = pop_byline(values)
    view = PostView(**values, **byline)
    if view.is_visible(now or utcnow()) or (viewer is not None and viewer.can_edit(view.author_id)):
        return view
    return None


@dataclass(frozen=True, slots=True)
class PostLink:
    """Just what a "previous/next post" link needs."""

    slug: str
    title: str


@statement
def _neighbour_statement(older: bool) -> Select[*tuple[Any, ...]]:
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


@statement
def _neighbours_statement() -> CompoundSelect[*tuple[Any, ...]]:
    # both links in one round trip; each half still walks the index and stops at one row
    halves = [_neighbour_statement(older).subquery() for older in (True, False)]
    return union_all(*(select(half) for half in halves))


def neighbours(
    post: PostView | Post, now: datetime | None = None
) -> tuple[PostLink | None, PostLink | None]:
    """The readable posts published just before and just after this one."""
    if post.published_at is None:
        return None, None
    params = {"at": post.published_at, "id": post.id, "now": now or utcnow()}
    links = rows(_neighbours_statement(), params)
    found = {bool(row.older): PostLink(row.slug, row.title) for row in links}
    return found.get(True), found.get(False)


@dataclass
class ThreadComment:
    """One approved comment as the post page shows it, with its replies below it."""

    id: int
    parent_id: int | None
    name: str
    website: str | None
    body_html: str
    created_at: datetime
    by_writer: bool
    replying_to: str | None = None
    replies: list[ThreadComment] = field(default_factory=list)


@dataclass
class Thread:
    """A post's approved comments as a tree, oldest first."""

    comments: list[ThreadComment]
    count: int
    by_id: dict[int, ThreadComment]

    def find(self, comment_id: int | None) -> ThreadComment | None:
        """The comment with this id, if it is in the thread (approved, on this post)."""
        return None if comment_id is None else self.by_id.get(comment_id)


@statement
def _thread_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Comment.id,
            Comment.parent_id,
            Comment.name,
            Comment.website,
            Comment.body_html,
            Comment.created_at,
            Comment.author_id.is_not(None).label("by_writer"),
        )
        .where(
            Comment.post_id == bindparam("post_id"),
            Comment.status == CommentStatus.APPROVED,
        )
        .order_by(Comment.created_at, Comment.id)
    )


def thread(post_id: int) -> Thread:
    """The approved comments of a post as a tree (oldest first), one statement however long."""
    found = rows(_thread_statement(), {"post_id": post_id})
    by_id: dict[int, ThreadComment] = {}
    roots: list[ThreadComment] = []
    for row in found:
        item = ThreadComment(**row._asdict())
        by_id[item.id] = item
        parent = by_id.get(item.parent_id) if item.parent_id is not None else None
        if parent is None:
            roots.append(item)
        else:
            item.replying_to = parent.name
            parent.replies.append(item)
    return Thread(comments=roots, count=len(found), by_id=by_id)
