"""Posts related to the one a reader is on: those sharing the most of its tags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import aliased

from myblog.extensions import cache
from myblog.models import Post, post_tags
from myblog.models.types import UTCDateTime, utcnow
from myblog.queries import rows, statement
from myblog.queries.listings import posts_generation

RELATED_LIMIT = 5


@dataclass(frozen=True, slots=True)
class RelatedPost:
    """Just what a "related posts" link needs, and how many tags it shares."""

    slug: str
    title: str
    published_at: datetime
    shared: int


@statement
def _related_statement() -> Select[*tuple[Any, ...]]:
    # the post's tags (mine) joined to every other post carrying one of them (theirs): the work
    # is the number of posts on the post's tags, read through the post_tags indexes
    mine, theirs = aliased(post_tags), aliased(post_tags)
    shared = func.count(theirs.c.tag_id).label("shared")
    return (
        select(Post.slug, Post.title, Post.published_at, shared)
        .select_from(mine)
        .join(theirs, (theirs.c.tag_id == mine.c.tag_id) & (theirs.c.post_id != mine.c.post_id))
        .join(Post, Post.id == theirs.c.post_id)
        .where(
            mine.c.post_id == bindparam("post_id"),
            Post.visible_clause(bindparam("now", type_=UTCDateTime())),
        )
        .group_by(Post.id, Post.slug, Post.title, Post.published_at)
        .order_by(shared.desc(), Post.published_at.desc(), Post.id.desc())
        .limit(bindparam("limit"))
    )


def related_posts(
    post_id: int, *, limit: int = RELATED_LIMIT, now: datetime | None = None
) -> list[RelatedPost]:
    """Up to `limit` readable posts sharing tags with this one, most shared tags first, then
    newest; one statement, its answer cached (MYBLOG_CACHE_SECONDS) until posts change.

    The statement reads every post on the post's tags, a few hundred rows for a popular tag,
    and the post page is the most read page: cached, it costs no statement at all."""
    key = f"myblog:related:{posts_generation()}:{post_id}:{limit}"
    if now is None and (cached := cache.get(key)) is not None:
        return list(cached)
    params = {"post_id": post_id, "now": now or utcnow(), "limit": limit}
    found = [RelatedPost(**row._asdict()) for row in rows(_related_statement(), params)]
    if now is None:
        cache.set(key, found)
    return found
