"""Bringing a batch into the blog: accounts, then posts with their images and comments.

Every item is a transaction of its own (`Job.attempt`): a post, its images, its comments and
its import record commit together or not at all. Posts go through `save_post` like the
editor's (as `Imported`: their own dates, no mail to subscribers). A dry run takes the same
decisions with reads only, and rolls back.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import IO
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Category, Comment, CommentStatus, Post, Upload, User
from myblog.models.types import utcnow
from myblog.queries.listings import forget_archive
from myblog.services.hotlinks import copy_post_images
from myblog.services.links import external_url
from myblog.services.markdown import render_comment
from myblog.services.porting import records
from myblog.services.porting.images import rewrite_images
from myblog.services.porting.items import Batch, CommentItem, ItemError, PostItem, UserItem
from myblog.services.porting.job import Job, Skip, Step
from myblog.services.porting.people import create_account, match
from myblog.services.porting.reading import read_file
from myblog.services.porting.report import ImportReport, Outcome, Result
from myblog.services.porting.restore import restore_steps
from myblog.services.porting.text import one_line
from myblog.services.posts import Imported, PostInput, save_post
from myblog.services.slugs import slugify, unique_slug
from myblog.services.taxonomy import MAX_NAME, get_or_create_term
from myblog.services.uploads import safe_display_name, store_image

MAX_TITLE = 200  # the posts.title column


def run_import(
    batch: Batch,
    *,
    author: User | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    fetch_images: bool = False,
) -> ImportReport:
    """Import every item of the batch, each in its own transaction; the report says what
    became of each. `author` writes what names no account here (default: the owner);
    `fetch_images` copies the imported posts' remote images into the uploads afterwards."""
    job = Job.start(batch, dry_run=dry_run, author=author, now=now or utcnow())
    report = ImportReport(kind=batch.kind, dry_run=dry_run, notes=list(batch.notes))
    report.outcomes += batch.problems
    for label, step in _steps(job):
        report.add(job.attempt(label, step))
        if progress is not None:
            progress(1)
    if fetch_images and not dry_run:
        report.notes += _copy_remote_images(job.imported_posts)
    if not dry_run:
        forget_archive()
    return report


def _copy_remote_images(post_ids: list[int]) -> list[str]:
    # after the posts are committed, each post on its own: a slow or refused image costs its
    # own link, never an imported post, and no transaction stays open while fetching
    notes = []
    for post_id in post_ids:
        post = db.session.get(Post, post_id)
        if post is None:
            continue
        result = copy_post_images(post, uploader=post.author)
        slug, count = post.slug, len(result.copied)
        if count:
            copied = ngettext(
                "“%(slug)s”: %(num)d remote image copied",
                "“%(slug)s”: %(num)d remote images copied",
                count,
                slug=slug,
            )
            notes.append(copied)
        notes += [
            _("“%(slug)s”: image not copied, its link stays as it is: %(why)s", slug=slug, why=why)
            for why in result.refused.values()
        ]
    return notes


def import_file(
    stream: IO[bytes],
    name: str,
    *,
    author: User,
    dry_run: bool = False,
    fetch_images: bool = False,
) -> ImportReport:
    """Read an uploaded file and import it (SourceError when the whole file is refused)."""
    batch = read_file(stream, name)
    return run_import(batch, author=author, dry_run=dry_run, fetch_images=fetch_images)


def _steps(job: Job) -> Iterator[tuple[str, Step]]:
    batch = job.batch
    if batch.restore is not None:
        yield from restore_steps(job, batch.restore, before_accounts=True)
    for user in batch.users:
        yield _account(user), partial(_import_account, job, user)
    if batch.restore is not None:
        yield from restore_steps(job, batch.restore, before_accounts=False)
    for item in batch.posts:
        yield item.label, partial(_import_post, job, item)


def _account(item: UserItem) -> str:
    return str(_("account %(name)s", name=item.username or item.email))


def _import_account(job: Job, item: UserItem) -> Outcome:
    label = _account(item)
    user = match(item)
    if user is not None:
        job.accounts[item.key] = user.id
        raise Skip(_("already an account here: %(username)s", username=user.username))
    if job.dry_run:
        job.accounts[item.key] = 0
        return Outcome(label, Result.WOULD_IMPORT, _("a new account"))
    user, notes = create_account(item, now=job.now)
    job.accounts[item.key] = user.id
    said = _("as %(username)s (%(role)s)", username=user.username, role=user.role.value)
    return Outcome(label, Result.IMPORTED, said, tuple(notes))


def _slug(job: Job, item: PostItem) -> str:
    def taken(slug: str) -> bool:
        used = select(Post.id).where(Post.slug == slug).limit(1)
        return slug in job.planned_slugs or db.session.scalar(used) is not None

    if item.slug.strip():
        slug = slugify(item.slug)
        if taken(slug):
            raise Skip(_("another post has the slug “%(slug)s” already", slug=slug))
    else:
        slug = unique_slug(slugify(item.slug_base or item.title), taken)
    job.planned_slugs.add(slug)
    return slug


def _import_post(job: Job, item: PostItem) -> Outcome:
    earlier = records.recorded(job.batch.source, "post", item.key)
    if isinstance(earlier, Post):
        raise Skip(_("imported before, as “%(slug)s”", slug=earlier.slug))
    slug = _slug(job, item)
    notes = list(item.notes)
    author = job.account(item.author, notes)
    if job.dry_run:
        notes += _dry_images(item)
        if item.comments:
            notes.append(_("%(num)d comments", num=len(item.comments)))
        return Outcome(item.label, Result.WOULD_IMPORT, _("as “%(slug)s”", slug=slug), tuple(notes))
    assert author is not None  # Job.account raises instead, outside a dry run
    body = _store_images(job, item, author, notes)
    category_name = one_line(item.category, MAX_NAME)
    category = get_or_create_term(Category, category_name).id if category_name else None
    data = PostInput(
        title=one_line(item.title, MAX_TITLE),
        body=body,
        slug=slug,
        status=item.status,
        published_at=item.published_at,
        category_id=category,
        tags=item.tags,
        allow_comments=item.allow_comments,
        summary=item.summary,
    )
    times = Imported(created_at=item.created_at, updated_at=item.updated_at)
    post = save_post(data, author=author, now=job.now, imported=times)
    _import_comments(job, post, item.comments, notes)
    records.record(job.batch.source, "post", item.key, post.id)
    job.imported_posts.append(post.id)
    return Outcome(item.label, Result.IMPORTED, _("as “%(slug)s”", slug=post.slug), tuple(notes))


def _dry_images(item: PostItem) -> list[str]:
    return [
        _("image “%(ref)s” would be stored as an upload", ref=image.ref)
        if image.path
        else _("image “%(ref)s” is not in the source: its link stays as it is", ref=image.ref)
        for image in item.images
    ]


def upload_url(filename: str) -> str:
    """The address of an uploaded image, as the editor writes it into a post."""
    return urlsplit(external_url("blog.uploaded_file", filename=filename)).path


def _store_images(job: Job, item: PostItem, author: User, notes: list[str]) -> str:
    new: dict[str, str] = {}
    for image in item.images:
        if not image.path:
            notes.append(
                _("image “%(ref)s” is not in the source: its link stays as it is", ref=image.ref)
            )
            continue
        try:
            new[image.ref] = job.images.get(image.path) or _store_image(job, image.path, author)
        except (ItemError, ValueError) as exc:
            notes.append(
                _(
                    "image “%(ref)s” not imported (%(error)s): its link stays as it is",
                    ref=image.ref,
                    error=exc,
                )
            )
    return rewrite_images(item.body, new.get) if new else item.body


def _store_image(job: Job, path: str, author: User) -> str:
    earlier = records.recorded(job.batch.source, "upload", path)
    if isinstance(earlier, Upload):
        url = upload_url(earlier.filename)
    else:
        assert job.batch.files is not None
        data = job.batch.files.read(path, limit=job.limits.image)
        stored = store_image(data, upload_dir=job.upload_dir, max_bytes=job.limits.image)
        job.written.append(job.upload_dir / stored.filename)
        upload = Upload(
            filename=stored.filename,
            original_name=safe_display_name(posixpath.basename(path)),
            content_type=stored.content_type,
            size=stored.size,
            width=stored.width,
            height=stored.height,
            uploader_id=author.id,
        )
        db.session.add(upload)
        db.session.flush()
        records.record(job.batch.source, "upload", path, upload.id)
        url = upload_url(upload.filename)
    job.images[path] = url
    return url


def _parents_first(comments: list[CommentItem]) -> list[CommentItem]:
    """The comments in their order, except that a reply waits for the comment it answers."""
    keys = {comment.key for comment in comments}
    placed: set[str] = set()
    ordered: list[CommentItem] = []
    remaining = list(comments)
    while remaining:
        waiting = []
        for comment in remaining:
            if comment.parent_key in placed or comment.parent_key not in keys:
                ordered.append(comment)
                placed.add(comment.key)
            else:
                waiting.append(comment)
        if len(waiting) == len(remaining):  # a loop of replies: their parents are dropped
            return ordered + waiting
        remaining = waiting
    return ordered


def _import_comments(job: Job, post: Post, comments: list[CommentItem], notes: list[str]) -> None:
    ids: dict[str, int] = {}
    for item in _parents_first(comments):
        account = job.known_account(item.author) if item.author else None
        comment = Comment(
            post_id=post.id,
            parent_id=ids.get(item.parent_key or ""),
            author_id=account.id if account is not None else None,
            name=item.name[:80] or "Anonymous",
            email=item.email[:254],
            website=(item.website or "")[:255] or None,
            body=item.body,
            body_html=render_comment(item.body),
            status=item.status,
            notify_replies=item.notify_replies,
            created_at=item.created_at or post.published_at or job.now,
        )
        db.session.add(comment)
        db.session.flush()
        ids[item.key] = comment.id
    if comments:
        waiting = sum(1 for c in comments if c.status is not CommentStatus.APPROVED)
        notes.append(
            _("%(num)d comments (%(waiting)d pending or spam)", num=len(comments), waiting=waiting)
        )
