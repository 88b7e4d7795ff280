"""The whole blog as an archive `flask import` restores: deterministic, so the same blog always
gives the same files (no creation date, fixed entry times, a fixed order, no database ids).

Posts are Markdown with YAML front matter (readable by Hugo and Jekyll too); comments are one
JSON file per post with comments, numbered within the post; accounts leave their password hashes
behind unless asked (`with_secrets`); uploads are the stored files themselves.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from myblog.extensions import db
from myblog.models import Category, Comment, Post, PostStatus, Site, Subscriber, Tag, Upload, User
from myblog.services.porting.archive import ABOUT, FORMAT, MANIFEST, VERSION

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BATCH = 100
Entries = Iterator[tuple[str, bytes]]


def iso(when: datetime | None) -> str | None:
    """A time as written in the archive: ISO 8601 in UTC, "Z" for the zone."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else None


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def export_size() -> int:
    """How many files an export writes, about (for a progress bar)."""
    posts = db.session.scalar(select(func.count(Post.id))) or 0
    uploads = db.session.scalar(select(func.count(Upload.id))) or 0
    return 2 * posts + uploads + 8


def export_entries(*, with_secrets: bool = False) -> Entries:
    """Every file of the archive, name and bytes, always in the same order."""
    uploads = _present_uploads()
    yield (
        MANIFEST,
        _json(
            {
                "format": FORMAT,
                "version": VERSION,
                "with_secrets": with_secrets,
                "counts": _counts(uploads),
            }
        ),
    )
    yield from _site()
    yield "users.json", _json([_user(user, with_secrets) for user in _all(User, User.username)])
    for name, model in (("categories.json", Category), ("tags.json", Tag)):
        yield name, _json([{"name": t.name, "slug": t.slug} for t in _all(model, model.name)])
    yield "subscribers.json", _json([_subscriber(s) for s in _all(Subscriber, Subscriber.email)])
    yield "uploads.json", _json([_upload(upload) for upload in uploads])
    yield from _posts()
    folder = Path(current_app.config["MYBLOG_UPLOAD_DIR"])
    for upload in uploads:
        yield f"uploads/{upload.filename}", (folder / upload.filename).read_bytes()


def _all(model: Any, order: Any) -> list[Any]:
    return list(db.session.scalars(select(model).order_by(order)))


def _counts(uploads: list[Upload]) -> dict[str, int]:
    def count(model: Any) -> int:
        return db.session.scalar(select(func.count(model.id))) or 0

    return {
        "posts": count(Post),
        "comments": count(Comment),
        "users": count(User),
        "categories": count(Category),
        "tags": count(Tag),
        "subscribers": count(Subscriber),
        "uploads": len(uploads),
    }


def _present_uploads() -> list[Upload]:
    """The uploads whose file is there (a file lost from the disk cannot be exported)."""
    folder = Path(current_app.config["MYBLOG_UPLOAD_DIR"])
    uploads = db.session.scalars(
        select(Upload).options(joinedload(Upload.uploader)).order_by(Upload.filename)
    )
    return [upload for upload in uploads if (folder / upload.filename).is_file()]


def _site() -> Entries:
    site = db.session.scalar(select(Site).limit(1))
    if site is None:
        return
    yield (
        "site.json",
        _json(
            {
                "title": site.title,
                "tagline": site.tagline,
                "comment_policy": site.comment_policy.value,
                "language": site.language,
                "timezone": site.timezone,
                "image_hosts": site.image_hosts.split(),
                "copy_remote_images": site.copy_remote_images,
            }
        ),
    )
    yield ABOUT, site.about.encode()


def _user(user: User, with_secrets: bool) -> dict[str, Any]:
    profile = user.profile
    row = {
        "username": user.username,
        "email": user.email,
        "role": user.role.value,
        "active": user.active,
        "display_name": profile.display_name if profile else None,
        "bio": profile.bio if profile else None,
        "website": profile.website if profile else None,
        "created_at": iso(user.created_at),
    }
    if with_secrets:
        row["password_hash"] = user.password_hash
    return row


def _subscriber(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "status": "confirmed" if subscriber.confirmed_at else "pending",
        "created_at": iso(subscriber.created_at),
        "confirmed_at": iso(subscriber.confirmed_at),
    }


def _upload(upload: Upload) -> dict[str, Any]:
    return {
        "filename": upload.filename,
        "original_name": upload.original_name,
        "content_type": upload.content_type,
        "size": upload.size,
        "width": upload.width,
        "height": upload.height,
        "uploader": upload.uploader.username,
        "created_at": iso(upload.created_at),
    }


def _posts() -> Entries:
    slugs = list(db.session.scalars(select(Post.slug).order_by(Post.slug)))
    for start in range(0, len(slugs), BATCH):
        posts = db.session.scalars(
            select(Post)
            .where(Post.slug.in_(slugs[start : start + BATCH]))
            .options(joinedload(Post.author), joinedload(Post.category), selectinload(Post.tags))
            .order_by(Post.slug)
        )
        for post in posts:
            yield f"posts/{post.slug}.md", post_file(post)
            comments = _comments(post)
            if comments:
                yield f"comments/{post.slug}.json", _json(comments)
            db.session.expunge(post)  # memory stays flat however many posts there are


def post_file(post: Post) -> bytes:
    """A post as Markdown with YAML front matter."""
    import yaml

    fields: dict[str, Any] = {"title": post.title, "slug": post.slug, "status": post.status.value}
    if post.status is PostStatus.DRAFT:
        fields["draft"] = True  # what Hugo and Jekyll understand
    if post.published_at is not None:
        fields["date"] = iso(post.published_at)
    fields["updated"] = iso(post.updated_at)
    fields["created"] = iso(post.created_at)
    fields["author"] = post.author.username
    if post.category is not None:
        fields["categories"] = [post.category.name]
    if post.tags:
        fields["tags"] = [tag.name for tag in post.tags]
    if post.summary:
        fields["summary"] = post.summary
    if not post.allow_comments:
        fields["allow_comments"] = False
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=4096)
    return f"---\n{front}---\n\n{post.body}".encode()


def _comments(post: Post) -> list[dict[str, Any]]:
    rows = list(
        db.session.scalars(
            select(Comment)
            .where(Comment.post_id == post.id)
            .options(joinedload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
    )
    number = {comment.id: n for n, comment in enumerate(rows, 1)}
    for comment in rows:
        db.session.expunge(comment)
    return [
        {
            "id": number[c.id],
            "parent": number.get(c.parent_id) if c.parent_id else None,
            "author": c.author.username if c.author else None,
            "name": c.name,
            "email": c.email,
            "website": c.website,
            "status": c.status.value,
            "notify_replies": c.notify_replies,
            "created_at": iso(c.created_at),
            "body": c.body,
        }
        for c in rows
    ]


# -- writing ----------------------------------------------------------------------------------


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED if name.startswith("uploads/") else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def write_zip(target: IO[bytes], entries: Entries) -> int:
    """Write the archive as a zip into an open file; returns the number of files."""
    written = 0
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries:
            archive.writestr(_zip_info(name), data)
            written += 1
    return written


def write_zip_file(path: Path, entries: Entries) -> int:
    """Write the archive to a zip file, replacing it whole (never half-written)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as handle:
            written = write_zip(handle, entries)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


def write_folder(path: Path, entries: Entries) -> int:
    """Write the archive as files under a new or empty folder."""
    written = 0
    for name, data in entries:
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written += 1
    return written


class _Pipe:
    """A write-only file whose bytes are taken out as they come (zipfile streams into it)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def stream_zip(entries: Entries) -> Iterator[bytes]:
    """The archive as a zip, in pieces, while it is written (for a download)."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w") as archive:
        for name, data in entries:
            archive.writestr(_zip_info(name), data)
            yield pipe.take()
    yield pipe.take()
