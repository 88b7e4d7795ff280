"""Markdown files (a notes folder, a Hugo site, a Jekyll site) read as posts.

Front matter (YAML or TOML) gives the fields when it has them. Otherwise the title is the `# `
heading the note opens with (taken out of the body) or the file's name, and the date is the
file's. Folders under the content root become categories; images named by a relative path are
listed for the importer, which stores them as uploads and rewrites the links.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from myblog.models import PostStatus
from myblog.models.types import utcnow
from myblog.services.porting.images import image_refs
from myblog.services.porting.items import Batch, ItemError, PostItem
from myblog.services.porting.report import Outcome, Result
from myblog.services.porting.sources import FileSet
from myblog.services.porting.text import (
    decode_text,
    first_text,
    names,
    parse_when,
    split_front_matter,
    take_heading,
)

MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
SOURCE = "markdown"
# folders that hold posts without being a category: Hugo sections, Jekyll's own folders
_SECTIONS = {"posts", "post", "blog", "articles", "_posts", "_drafts", "content"}
_JEKYLL_NAME = re.compile(r"^(\d{4}-\d\d-\d\d)-(.+)$")
# Jekyll's links start with the site's address: "{{ site.baseurl }}/assets/x.png"
_LIQUID_SITE = re.compile(r"\{\{\s*site\.(?:baseurl|url)\s*\}\}")
_STATUSES = {
    "published": PostStatus.PUBLISHED,
    "publish": PostStatus.PUBLISHED,
    "draft": PostStatus.DRAFT,
    "private": PostStatus.DRAFT,
    "scheduled": PostStatus.SCHEDULED,
    "future": PostStatus.SCHEDULED,
}


@dataclass(frozen=True)
class Layout:
    kind: str  # "Hugo site", "Jekyll site", "Markdown files"
    root: str  # where the posts are: "content/" for Hugo, "" otherwise
    static_roots: tuple[str, ...]  # where "/images/x.png" is looked up

    def holds(self, path: str) -> bool:
        if not path.lower().endswith(MARKDOWN) or not path.startswith(self.root):
            return False
        if self.kind == "Jekyll site":
            return path.startswith(("_posts/", "_drafts/"))
        return True


def layout_of(files: FileSet) -> Layout:
    """Whether the files are a Hugo site, a Jekyll site or plain Markdown files."""
    paths = files.entries.keys()
    if any(p.startswith("_posts/") for p in paths):
        return Layout("Jekyll site", "", ("",))
    config = ("config.toml", "config.yaml", "config.yml", "hugo.toml", "hugo.yaml", "hugo.json")
    if any(p.startswith("content/") for p in paths) and any(c in paths for c in config):
        return Layout("Hugo site", "content/", ("static/", ""))
    return Layout("Markdown files", "", ("",))


def _layout_name(kind: str) -> str:
    """The layout's name for people, in their language."""
    if kind == "Hugo site":
        return str(_("Hugo site"))
    if kind == "Jekyll site":
        return str(_("Jekyll site"))
    return str(_("Markdown files"))


def read_markdown(files: FileSet) -> Batch:
    """Every Markdown file of the source as a post item (or an outcome saying why not)."""
    layout = layout_of(files)
    kind = _layout_name(layout.kind)
    batch = Batch(source=SOURCE, kind=kind, files=files, problems=list(files.refused))
    for path in sorted(files.entries):
        if not layout.holds(path):
            continue
        if posixpath.basename(path) == "_index.md":
            skipped = _("a Hugo section page, not a post")
            batch.problems.append(Outcome(path, Result.SKIPPED, skipped))
            continue
        try:
            batch.posts.append(read_note(files, path, layout))
        except ItemError as exc:
            batch.problems.append(Outcome(path, Result.FAILED, str(exc)))
    return batch


def read_note(files: FileSet, path: str, layout: Layout) -> PostItem:
    """One Markdown file as a post item (ItemError when it cannot be read)."""
    text, encoding = decode_text(files.read(path))
    fields, body = split_front_matter(text)
    if layout.kind == "Jekyll site":
        body = _LIQUID_SITE.sub("", body)
    key = path[len(layout.root) :]
    folder, name = posixpath.split(key)
    stem = name.rsplit(".", 1)[0]
    bundle = stem == "index" and bool(folder)  # a Hugo page bundle: the folder is the post
    if bundle:
        folder, stem = posixpath.split(folder)
    jekyll = _JEKYLL_NAME.match(stem)
    title = first_text(fields, "title")
    if not title:
        title, body = take_heading(body)
    item = PostItem(
        key=key,
        label=path,
        title=title or (jekyll.group(2) if jekyll else stem).replace("-", " ").replace("_", " "),
        body=body,
        slug=first_text(fields, "slug"),
        # Hugo and Jekyll posts keep the address their file name gave them; plain notes get one
        # from their title
        slug_base=(jekyll.group(2) if jekyll else stem) if layout.kind != "Markdown files" else "",
    )
    draft = _is_draft(fields, key)
    _fill_dates(item, fields, jekyll.group(1) if jekyll else None, files.entries[path].mtime, draft)
    _fill_filing(item, fields, folder, jekyll=layout.kind == "Jekyll site")
    item.status = _status(fields, item.published_at, draft=draft)
    item.images = image_refs(
        item.body,
        folder=posixpath.dirname(path),
        files=files.entries.keys(),
        roots=layout.static_roots,
    )
    if encoding:
        item.notes.append(_("read as %(encoding)s: the file is not UTF-8", encoding=encoding))
    return item


def _is_draft(fields: dict[str, Any], key: str) -> bool:
    named = fields.get("status")
    if isinstance(named, str) and named.strip():
        return _STATUSES.get(named.strip().lower()) is PostStatus.DRAFT
    return (
        key.startswith("_drafts/")
        or fields.get("draft") is True
        or fields.get("published") is False
    )


def _fill_dates(
    item: PostItem, fields: dict[str, Any], name_date: str | None, mtime: datetime, draft: bool
) -> None:
    date = parse_when(fields.get("date") or fields.get("publishdate") or name_date)
    updated = parse_when(
        fields.get("updated") or fields.get("lastmod") or fields.get("last_modified_at"),
        "update time",
    )
    created = parse_when(fields.get("created"), "creation time")
    item.published_at = date or (None if draft else mtime)
    item.created_at = created or date or mtime
    item.updated_at = updated or date or mtime


def _fill_filing(item: PostItem, fields: dict[str, Any], folder: str, *, jekyll: bool) -> None:
    categories = names(fields.get("categories"), split_spaces=jekyll) or names(
        fields.get("category")
    )
    if not categories:
        parts = [part for part in folder.split("/") if part and part not in _SECTIONS]
        categories = parts[-1:]
    item.category = categories[0] if categories else ""
    item.tags = names(fields.get("tags"), split_spaces=jekyll) + categories[1:]
    item.summary = first_text(fields, "summary", "description", "excerpt")
    item.author = first_text(fields, "author", "authors")
    allow = fields.get("allow_comments", fields.get("comments"))
    item.allow_comments = allow is not False


def _status(fields: dict[str, Any], published_at: datetime | None, *, draft: bool) -> PostStatus:
    named = fields.get("status")
    if isinstance(named, str) and named.strip():
        status = _STATUSES.get(named.strip().lower())
        if status is None:
            raise ItemError(_("unknown status “%(status)s”", status=named[:20]))
        return status
    if draft:
        return PostStatus.DRAFT
    if published_at is not None and published_at > utcnow():
        return PostStatus.SCHEDULED
    return PostStatus.PUBLISHED
