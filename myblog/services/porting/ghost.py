"""Ghost JSON exports (Ghost 1 to 5): posts and pages, tags, authors.

Statuses: published → published, scheduled → scheduled, draft → draft; a post only for
members, or only sent by email, is imported as a draft so nothing private goes public. Pages
are posts in the "Pages" category; Ghost has no categories, so tags stay tags (internal "#"
tags are left out). Ghost's exports carry no comments.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from flask_babel import gettext as _

from myblog.models import PostStatus
from myblog.services.porting.html_markdown import html_to_markdown
from myblog.services.porting.items import (
    PAGES_CATEGORY,
    Batch,
    ItemError,
    PostItem,
    SourceError,
    UserItem,
)
from myblog.services.porting.report import Outcome, Result
from myblog.services.porting.text import one_line, parse_when, unique

SOURCE = "ghost"
KNOWN_MAJORS = ("1", "2", "3", "4", "5")
_STATUSES = {
    "published": PostStatus.PUBLISHED,
    "scheduled": PostStatus.SCHEDULED,
    "draft": PostStatus.DRAFT,
}


def _database(raw: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SourceError(_("That JSON file cannot be read: %(error)s", error=exc)) from exc
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
        raise SourceError(_("That JSON file is not a Ghost export (no db[0].data.posts)."))
    meta = document.get("meta")
    return (meta if isinstance(meta, dict) else {}), data


def _rows(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = data.get(name)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def read_ghost(raw: bytes) -> Batch:
    """The posts, pages and authors of a Ghost export (SourceError when it is not one)."""
    meta, data = _database(raw)
    version = str(meta.get("version") or "?")
    batch = Batch(source=SOURCE, kind=_("Ghost export (Ghost %(version)s)", version=version))
    if version.split(".")[0] not in KNOWN_MAJORS:
        batch.notes.append(
            _(
                "Ghost %(version)s is not a version this importer knows (1 to 5): read as "
                "Ghost 5; check the result.",
                version=version,
            )
        )
    batch.users = [_user(row) for row in _rows(data, "users")]
    tags = _tags(data)
    authors = _authors(data)
    for row in _rows(data, "posts"):
        label = _label(row)
        try:
            batch.posts.append(_post(row, label, tags.get(str(row.get("id")), []), authors))
        except ItemError as exc:
            batch.problems.append(Outcome(label, Result.FAILED, str(exc)))
    return batch


def _user(row: dict[str, Any]) -> UserItem:
    return UserItem(
        key=str(row.get("id")),
        username=str(row.get("slug") or row.get("name") or "author"),
        email=str(row.get("email") or ""),
        display_name=one_line(str(row.get("name") or ""), 80),
        bio=row.get("bio") if isinstance(row.get("bio"), str) else None,
        website=row.get("website") if isinstance(row.get("website"), str) else None,
    )


def _tags(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each post's public tag names, in the post's order."""
    names = {
        str(row.get("id")): one_line(str(row.get("name") or ""), 60)
        for row in _rows(data, "tags")
        if row.get("visibility", "public") == "public" and not str(row.get("name")).startswith("#")
    }
    links = sorted(_rows(data, "posts_tags"), key=lambda row: int(row.get("sort_order") or 0))
    by_post: dict[str, list[str]] = defaultdict(list)
    for link in links:
        name = names.get(str(link.get("tag_id")))
        if name:
            by_post[str(link.get("post_id"))].append(name)
    return by_post


def _authors(data: dict[str, Any]) -> dict[str, str]:
    """Each post's first author (Ghost 1 has author_id on the post instead)."""
    first: dict[str, str] = {}
    links = sorted(_rows(data, "posts_authors"), key=lambda row: int(row.get("sort_order") or 0))
    for link in links:
        first.setdefault(str(link.get("post_id")), str(link.get("author_id")))
    return first


def _label(row: dict[str, Any]) -> str:
    title = one_line(str(row.get("title") or ""), 60)
    if _kind(row) == "page":
        return str(_("page “%(title)s”", title=title))
    return str(_("post “%(title)s”", title=title))


def _kind(row: dict[str, Any]) -> str:
    return "page" if row.get("type") == "page" or row.get("page") in (True, 1) else "post"


def _post(row: dict[str, Any], label: str, tags: list[str], authors: dict[str, str]) -> PostItem:
    post_id = str(row.get("id") or row.get("uuid") or "")
    if not post_id:
        raise ItemError(_("it has no id"))
    html = row.get("html")
    body = html_to_markdown(html) if isinstance(html, str) else str(row.get("plaintext") or "")
    item = PostItem(
        key=post_id,
        label=label,
        title=one_line(str(row.get("title") or ""), 200) or "(untitled)",
        body=body,
        slug=str(row.get("slug") or ""),
        published_at=parse_when(row.get("published_at")),
        created_at=parse_when(row.get("created_at"), "creation time"),
        updated_at=parse_when(row.get("updated_at"), "update time"),
        summary=one_line(str(row.get("custom_excerpt") or ""), 300),
        author=authors.get(post_id) or str(row.get("author_id") or ""),
    )
    _status(row, item)
    categories = [PAGES_CATEGORY] if _kind(row) == "page" else []
    item.category = categories[0] if categories else ""
    item.tags = unique(tags)
    return item


def _status(row: dict[str, Any], item: PostItem) -> None:
    status = str(row.get("status") or "draft")
    item.status = _STATUSES.get(status, PostStatus.DRAFT)
    if status not in _STATUSES:
        item.notes.append(_("status “%(status)s” in Ghost: imported as a draft", status=status))
    visibility = str(row.get("visibility") or "public")
    if visibility != "public" and item.status is not PostStatus.DRAFT:
        item.status = PostStatus.DRAFT
        item.notes.append(_("only for %(who)s in Ghost: imported as a draft", who=visibility))
    if item.status is PostStatus.SCHEDULED and item.published_at is None:
        item.status = PostStatus.DRAFT
