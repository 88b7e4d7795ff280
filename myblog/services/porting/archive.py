"""Reading a myblog backup (what `flask export` writes) to restore it.

The layout, written by `exporter`: `myblog-export.json` (format and version), `site.json`,
`pages/about.md`, `users.json`, `categories.json`, `tags.json`, `subscribers.json`,
`uploads.json` with the files under `uploads/`, and one `posts/<slug>.md` per post (front
matter and Markdown) with its comments in `comments/<slug>.json`.
"""

from __future__ import annotations

import enum
import json
from typing import Any, TypeVar

from flask_babel import gettext as _

from myblog.models import CommentStatus, Role
from myblog.services.porting.items import (
    Batch,
    CommentItem,
    ItemError,
    Restore,
    SiteItem,
    SourceError,
    SubscriberItem,
    TermItem,
    UploadItem,
    UserItem,
)
from myblog.services.porting.markdown_files import Layout, read_note
from myblog.services.porting.report import Outcome, Result
from myblog.services.porting.sources import FileSet
from myblog.services.porting.text import decode_text, parse_when

MANIFEST = "myblog-export.json"
FORMAT = "myblog-export"
VERSION = 1
SOURCE = "myblog"
ABOUT = "pages/about.md"
_LAYOUT = Layout("myblog backup", "", ("",))
E = TypeVar("E", bound=enum.Enum)


def is_archive(files: FileSet) -> bool:
    return MANIFEST in files.entries


def _json(files: FileSet, name: str, default: Any) -> Any:
    if name not in files.entries:
        return default
    try:
        return json.loads(files.read(name))
    except (ItemError, ValueError, RecursionError) as exc:
        raise SourceError(
            _("The backup's %(name)s cannot be read: %(error)s", name=name, error=exc)
        ) from exc


def _list(files: FileSet, name: str) -> list[dict[str, Any]]:
    rows = _json(files, name, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise SourceError(_("The backup's %(name)s is not a list of records.", name=name))
    return rows


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return value if isinstance(value, str) else ""


def _strings(row: dict[str, Any], key: str) -> tuple[str, ...]:
    values = row.get(key)
    if not isinstance(values, list):
        return ()
    return tuple(value for value in values if isinstance(value, str))


def _enum(kind: type[E], value: str, default: E) -> E:
    try:
        return kind(value)
    except ValueError:
        return default


def _when(row: dict[str, Any], key: str) -> Any:
    try:
        return parse_when(row.get(key), key.replace("_", " "))
    except ItemError as exc:
        raise SourceError(_("The backup has a bad date: %(error)s.", error=exc)) from exc


def read_archive(files: FileSet) -> Batch:
    """Everything a backup holds, ready to restore (SourceError when it is not one this
    version of myblog can read)."""
    manifest = _json(files, MANIFEST, {})
    version = manifest.get("version") if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(version, int)
    ):
        raise SourceError(_("The backup's %(name)s is not one myblog wrote.", name=MANIFEST))
    if version != VERSION:
        raise SourceError(
            _(
                "This backup is in format version %(version)s; this myblog reads version "
                "%(ours)s only. Import it with the myblog that wrote it, or a newer one.",
                version=version,
                ours=VERSION,
            )
        )
    batch = Batch(source=SOURCE, kind=_("myblog backup"), files=files, problems=list(files.refused))
    batch.restore = Restore(
        site=_site(files),
        terms=_terms(files),
        subscribers=[_subscriber(row) for row in _list(files, "subscribers.json")],
        uploads=[_upload(row) for row in _list(files, "uploads.json")],
    )
    batch.users = [_user(row) for row in _list(files, "users.json")]
    for path in sorted(p for p in files.entries if p.startswith("posts/") and p.endswith(".md")):
        try:
            item = read_note(files, path, _LAYOUT)
            item.images = []  # its images are the backup's uploads, restored under their names
            item.comments = _comments(files, path)
            batch.posts.append(item)
        except (ItemError, SourceError) as exc:
            batch.problems.append(Outcome(path, Result.FAILED, str(exc)))
    return batch


def _site(files: FileSet) -> SiteItem | None:
    row = _json(files, "site.json", None)
    if not isinstance(row, dict):
        return None
    about = decode_text(files.read(ABOUT))[0] if ABOUT in files.entries else ""
    return SiteItem(
        title=_text(row, "title"),
        tagline=_text(row, "tagline"),
        about=about,
        comment_policy=_text(row, "comment_policy"),
        language=_text(row, "language"),
        timezone=_text(row, "timezone"),
        image_hosts=_strings(row, "image_hosts"),
        copy_remote_images=row.get("copy_remote_images") is True,
    )


def _terms(files: FileSet) -> list[TermItem]:
    terms = []
    for kind, name in (("category", "categories.json"), ("tag", "tags.json")):
        terms += [
            TermItem(kind, _text(row, "name"), _text(row, "slug")) for row in _list(files, name)
        ]
    return terms


def _user(row: dict[str, Any]) -> UserItem:
    role = _text(row, "role")
    return UserItem(
        key=_text(row, "username"),
        username=_text(row, "username"),
        email=_text(row, "email"),
        display_name=_text(row, "display_name"),
        role=_enum(Role, role, Role.AUTHOR),
        active=row.get("active") is not False,
        created_at=_when(row, "created_at"),
        bio=row.get("bio") if isinstance(row.get("bio"), str) else None,
        website=row.get("website") if isinstance(row.get("website"), str) else None,
        password_hash=_text(row, "password_hash"),
    )


def _subscriber(row: dict[str, Any]) -> SubscriberItem:
    return SubscriberItem(
        email=_text(row, "email"),
        created_at=_when(row, "created_at"),
        confirmed_at=_when(row, "confirmed_at") if row.get("status") == "confirmed" else None,
    )


def _upload(row: dict[str, Any]) -> UploadItem:
    return UploadItem(
        filename=_text(row, "filename"),
        original_name=_text(row, "original_name"),
        uploader=_text(row, "uploader"),
        created_at=_when(row, "created_at"),
    )


def _comments(files: FileSet, post_path: str) -> list[CommentItem]:
    name = "comments/" + post_path.removeprefix("posts/").removesuffix(".md") + ".json"
    comments = []
    for row in _list(files, name):
        parent = row.get("parent")
        comments.append(
            CommentItem(
                key=str(row.get("id")),
                parent_key=str(parent) if parent is not None else None,
                name=_text(row, "name"),
                email=_text(row, "email"),
                website=row.get("website") if isinstance(row.get("website"), str) else None,
                body=_text(row, "body"),
                status=_enum(CommentStatus, _text(row, "status"), CommentStatus.PENDING),
                created_at=_when(row, "created_at"),
                author=_text(row, "author"),
                notify_replies=row.get("notify_replies") is True,
            )
        )
    return comments
