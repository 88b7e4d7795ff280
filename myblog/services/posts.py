"""Writing and publishing posts, and the writers' list of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from myblog.extensions import db
from myblog.models import Category, Post, PostRevision, PostStatus, Tag, User
from myblog.models.types import utcnow
from myblog.queries.listings import forget_archive
from myblog.services.announcements import announce
from myblog.services.markdown import make_excerpt, render_markdown
from myblog.services.revisions import keep_revision
from myblog.services.search import index_post, matching_posts, reindex_posts
from myblog.services.slugs import slugify, unique_slug
from myblog.services.taxonomy import TaxonomyError, get_or_create_tags, get_or_create_term

MAX_BODY = 500_000
MAX_SUMMARY = 300


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
    summary: str = ""
    # a category made on the spot from the editor (used instead of category_id when given)
    new_category: str = ""


_FIRST_HEADING = re.compile(r"\A\s*#{1,6}[ \t]+(?P<text>[^\n]*?)[ \t#]*(?:\n|\Z)")


def without_title_heading(body: str, title: str) -> str:
    """The body without a first heading (`#` to `######`) that repeats the title, which the
    page shows above the post already (notes written elsewhere often start with one)."""
    match = _FIRST_HEADING.match(body)
    if match and " ".join(match["text"].split()) == " ".join(title.split()):
        return body[match.end() :]
    return body


@dataclass(frozen=True)
class Imported:
    """A post moving in from elsewhere (an import): it keeps its own times, counts as announced
    without mailing anyone when it is live already, and the caller commits it together with
    what comes with it (comments, images, the record of where it came from)."""

    created_at: datetime | None = None
    updated_at: datetime | None = None


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
            raise PostError(_("Choose the date and time at which the post goes live."))
        post.status = PostStatus.SCHEDULED if when > now else PostStatus.PUBLISHED
        post.published_at = when
        return
    post.status = PostStatus.PUBLISHED
    # keep the original date when a published post is edited
    post.published_at = when or post.published_at or now


def save_post(
    data: PostInput,
    *,
    author: User,
    post: Post | None = None,
    now: datetime | None = None,
    imported: Imported | None = None,
    restored_from: int | None = None,
) -> Post:
    """Create or update a post: slug, rendered HTML, excerpt, tags, schedule; commits (an
    `imported` post is only flushed: see Imported)."""
    now = now or utcnow()
    title = data.title.strip()
    if not title:
        raise PostError(_("A post needs a title."))
    try:
        with db.session.no_autoflush:
            post = _apply(data, title=title, author=author, post=post, now=now)
    except (PostError, TaxonomyError):
        # a half-built post (or its new tags) must not ride along on the caller's next commit
        db.session.rollback()
        raise
    index_post(post)  # the index entry is committed with the post, or not at all
    if imported is not None:
        _keep_history(post, data, imported, now)
        db.session.flush()
        return post
    # every save is kept as a revision, in the same commit as the save
    keep_revision(post, author=author, now=now, restored_from=restored_from)
    # a post that is live now mails its subscribers once, in the same commit as the save
    announce(post, now=now)
    db.session.commit()
    forget_archive()
    return post


def _apply(data: PostInput, *, title: str, author: User, post: Post | None, now: datetime) -> Post:
    if post is None:
        post = Post(author=author)
        db.session.add(post)
    requested = slugify(data.slug) if data.slug.strip() else ""
    if requested and _slug_taken(requested, post.id):
        raise PostError(_("The slug “%(slug)s” is already used by another post.", slug=requested))
    if not requested:
        base = post.slug if post.slug else slugify(title)
        requested = unique_slug(base, lambda s: _slug_taken(s, post.id))
    post.slug = requested
    if post.body != data.body or post.title != title or not post.body_html:
        post.body = data.body
        post.body_html = render_markdown(without_title_heading(data.body, title))
    post.summary = " ".join(data.summary.split())[:MAX_SUMMARY]
    post.excerpt = post.summary or make_excerpt(post.body)
    post.title = title
    post.category_id = data.category_id
    if data.new_category.strip():
        post.category_id = get_or_create_term(Category, data.new_category).id
    post.tags = get_or_create_tags(data.tags)
    post.allow_comments = data.allow_comments
    _schedule(post, data.status, data.published_at, now)
    return post


def replace_body(post: Post, body: str) -> Post:
    """Give a saved post a new Markdown body (its remote images copied, say), rendered again
    with its excerpt; commits."""
    post.body = body
    post.body_html = render_markdown(without_title_heading(body, post.title))
    post.excerpt = post.summary or make_excerpt(body)
    db.session.commit()
    return post


def _keep_history(post: Post, data: PostInput, imported: Imported, now: datetime) -> None:
    if data.status is PostStatus.DRAFT:
        post.published_at = data.published_at  # a draft keeps the date it once had
    post.created_at = imported.created_at or post.created_at or now
    post.updated_at = imported.updated_at or now
    if post.is_visible(now) and post.announced_at is None:
        post.announced_at = now  # a back catalogue moving in is not news: nobody is mailed


def restore_revision(post: Post, revision: PostRevision, *, user: User) -> Post:
    """Save the post again with an earlier revision's title and body (its other settings as they
    are now): the restored text becomes a new revision; commits."""
    data = PostInput(
        title=revision.title or post.title,
        body=revision.body,
        slug=post.slug,
        status=post.status,
        published_at=post.published_at,
        category_id=post.category_id,
        tags=[tag.name for tag in post.tags],
        allow_comments=post.allow_comments,
        summary=post.summary,
    )
    return save_post(data, author=user, post=post, restored_from=revision.id)


def delete_post(post: Post) -> bool:
    """Delete a post for good, with its tags' links and its comments (the foreign keys' ON
    DELETE CASCADE) and its search index entry (that foreign key on PostgreSQL, a trigger on
    SQLite); commits. False when it was already gone, deleted meanwhile by another request:
    one DELETE by id, so a race finds nothing to delete instead of failing."""
    result = db.session.execute(delete(Post).where(Post.id == post.id))
    db.session.commit()
    forget_archive()
    return bool(cast("CursorResult[Any]", result).rowcount)


def promote_due_posts(now: datetime | None = None) -> list[Post]:
    """Mark scheduled posts whose time has come as published; returns them. (Search needs no
    write: it filters by the same visibility rule, so a post is found once its time comes.)"""
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
        forget_archive()
    return due


def rerender_all(progress: Callable[[int], None] | None = None, batch: int = 200) -> int:
    """Re-render every post's HTML and excerpt from its Markdown; returns the count.

    A post keeps its `updated_at`: the renderer changed, not the post, so feeds and the
    sitemap do not announce every post as modified."""
    count = 0
    last_id = 0
    while True:
        posts = list(
            db.session.scalars(select(Post).where(Post.id > last_id).order_by(Post.id).limit(batch))
        )
        if not posts:
            return count
        for post in posts:
            post.body_html = render_markdown(without_title_heading(post.body, post.title))
            post.excerpt = post.summary or make_excerpt(post.body)
            flag_modified(post, "updated_at")  # written back as it is: no onupdate
        reindex_posts([post.id for post in posts])
        db.session.commit()
        count += len(posts)
        last_id = posts[-1].id
        if progress:
            progress(len(posts))


def post_by_id(post_id: int) -> Post | None:
    """The post with this id, whatever its status (for the editor), or None."""
    return db.session.get(Post, post_id)


def visible_post(slug: str, *, viewer: User | None, now: datetime | None = None) -> Post | None:
    """The post with this slug as an ORM instance, if the viewer may read it (for requests that
    change something under it, such as a comment)."""
    post: Post | None = db.session.scalar(
        select(Post)
        .where(Post.slug == slug)
        .options(joinedload(Post.author), joinedload(Post.category), selectinload(Post.tags))
    )
    if post is None:
        return None
    if post.is_visible(now or utcnow()) or (viewer is not None and viewer.can_edit(post.author_id)):
        return post
    return None


# -- the writers' list ------------------------------------------------------------------------


def manageable_posts(
    *, user: User, page: int, per_page: int, status: PostStatus | None = None, search: str = ""
) -> Pagination:
    """Posts this user may manage (all for admins, own for authors), newest change first;
    with `search`, only those matching it (in any status)."""
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
    if search.strip():
        query = query.where(matching_posts(search))
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
