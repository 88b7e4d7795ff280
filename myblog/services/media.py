"""The media library: uploaded images with their size and the posts that use them; deleting the
unused ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from myblog.extensions import db
from myblog.models import Post, Site, Upload, User


class MediaError(ValueError):
    """Why an upload was not deleted."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Usage:
    """A page that shows an upload: a post (its id and title), or the About page (id None)."""

    post_id: int | None
    title: str


def upload_path(filename: str) -> str:
    """The address an upload is served at, as posts' Markdown names it."""
    return f"/uploads/{filename}"


def media_page(*, user: User, page: int, per_page: int) -> Pagination:
    """Uploads this user may manage (all for admins, their own for authors), newest first."""
    query = select(Upload).options(joinedload(Upload.uploader)).order_by(Upload.id.desc())
    if not user.is_admin:
        query = query.where(Upload.uploader_id == user.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def usages(uploads: list[Upload]) -> dict[int, list[Usage]]:
    """Where each upload is used: the posts whose Markdown names its address, and the About
    page; one query for the posts of a whole page of uploads, one for the About page."""
    found: dict[int, list[Usage]] = {upload.id: [] for upload in uploads}
    if not uploads:
        return found
    paths = {upload.id: upload_path(upload.filename) for upload in uploads}
    rows = db.session.execute(
        select(Post.id, Post.title, Post.body)
        .where(or_(*(Post.body.contains(path, autoescape=True) for path in paths.values())))
        .order_by(Post.id)
    )
    for post_id, title, body in rows:
        for upload_id, path in paths.items():
            if path in body:
                found[upload_id].append(Usage(post_id, title))
    about = db.session.scalar(select(Site.about).limit(1)) or ""
    for upload_id, path in paths.items():
        if path in about:
            found[upload_id].append(Usage(None, str(_("About page"))))
    return found


def upload_by_id(upload_id: int) -> Upload | None:
    """The upload with this id, or None."""
    return db.session.get(Upload, upload_id)


def delete_unused(upload: Upload, *, user: User) -> None:
    """Delete an upload no post uses, its row and its file; commits. Refuses (MediaError) one
    that is used, or that belongs to someone else when `user` is not an admin."""
    if not user.is_admin and upload.uploader_id != user.id:
        raise MediaError(_("You may delete only your own uploads."))
    used = usages([upload])[upload.id]
    if used:
        names = ", ".join(f"“{usage.title}”" for usage in used)
        raise MediaError(_("Still used by %(pages)s: remove it there first.", pages=names))
    filename = upload.filename
    db.session.execute(delete(Upload).where(Upload.id == upload.id))
    db.session.commit()
    (Path(current_app.config["MYBLOG_UPLOAD_DIR"]) / filename).unlink(missing_ok=True)
