"""WordPress export files (WXR): posts and pages, their comments, categories, tags, authors.

Statuses: publish → published, future → scheduled, draft/pending/private → draft (a private
post stays out of sight), trash → skipped. Pages are posts in the "Pages" category. The first
category is the post's category, further ones become tags; "Uncategorized" is no category.
Attachments stay on the old host: nothing is downloaded during an import.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from flask_babel import gettext as _

from myblog.models import CommentStatus, PostStatus
from myblog.services.porting.html_markdown import html_to_markdown, html_to_text
from myblog.services.porting.items import (
    PAGES_CATEGORY,
    Batch,
    CommentItem,
    ItemError,
    PostItem,
    SourceError,
    UserItem,
)
from myblog.services.porting.report import Outcome, Result
from myblog.services.porting.text import one_line, parse_when, unique

KNOWN_VERSIONS = ("1.0", "1.1", "1.2")
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_STATUSES = {
    "publish": PostStatus.PUBLISHED,
    "future": PostStatus.SCHEDULED,
    "draft": PostStatus.DRAFT,
    "pending": PostStatus.DRAFT,
    "auto-draft": PostStatus.DRAFT,
    "private": PostStatus.DRAFT,
}
_COMMENT_STATUSES = {
    "1": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
}
_NO_DATE = "0000-00-00 00:00:00"


class _Wxr:
    """Reads an element's children in the export's WordPress namespace (1.0, 1.1 or 1.2)."""

    def __init__(self, namespace: str) -> None:
        self.wp = "{" + namespace + "}"
        self.excerpt = "{" + namespace + "excerpt/}encoded"

    def text(self, element: Element, name: str) -> str:
        found = element.find(self.wp + name)
        return (found.text or "").strip() if found is not None else ""


def _parse(raw: bytes) -> Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root: Element = fromstring(raw)
    except (ParseError, DefusedXmlException) as exc:
        raise SourceError(_("That XML file cannot be read: %(error)s", error=exc)) from exc
    return root


def read_wordpress(raw: bytes) -> Batch:
    """The posts, pages and authors of a WXR file (SourceError when it is not one)."""
    channel = _parse(raw).find("channel")
    namespace = _namespace(channel)
    if channel is None or namespace is None:
        raise SourceError(_("That XML file is not a WordPress export (WXR)."))
    wxr = _Wxr(namespace)
    version = wxr.text(channel, "wxr_version") or "?"
    site = wxr.text(channel, "base_blog_url") or (channel.findtext("link") or "").strip()
    batch = Batch(
        source=f"wordpress:{site.rstrip('/')}"[:255],
        kind=_("WordPress export (WXR %(version)s)", version=version),
    )
    if version not in KNOWN_VERSIONS:
        batch.notes.append(
            _(
                "WXR version %(version)s is not one this importer knows (%(known)s): read as "
                "1.2; check the result.",
                version=version,
                known=", ".join(KNOWN_VERSIONS),
            )
        )
    logins = {}
    for element in channel.findall(wxr.wp + "author"):
        user = _author(wxr, element)
        logins[wxr.text(element, "author_id")] = user.key
        batch.users.append(user)
    for element in channel.findall("item"):
        _item(wxr, element, batch, logins)
    return batch


def _namespace(channel: Element | None) -> str | None:
    for child in channel if channel is not None else ():
        if child.tag.startswith("{http://wordpress.org/export/"):
            return child.tag[1:].split("}", 1)[0]
    return None


def _author(wxr: _Wxr, element: Element) -> UserItem:
    login = wxr.text(element, "author_login")
    return UserItem(
        key=login,
        username=login,
        email=wxr.text(element, "author_email"),
        display_name=wxr.text(element, "author_display_name") or login,
    )


def _item(wxr: _Wxr, element: Element, batch: Batch, logins: dict[str, str]) -> None:
    kind = wxr.text(element, "post_type")
    post_id = wxr.text(element, "post_id")
    label = f"{kind or 'item'} {post_id} “{one_line(element.findtext('title') or '', 60)}”"
    if kind not in ("post", "page"):
        if kind == "attachment":
            why = _("an attachment: its file stays on the old host")
        else:
            why = _("a “%(kind)s”, not a post or page", kind=kind)
        batch.problems.append(Outcome(label, Result.SKIPPED, why))
        return
    status = wxr.text(element, "status")
    if status == "trash":
        batch.problems.append(Outcome(label, Result.SKIPPED, _("in the WordPress trash")))
        return
    try:
        batch.posts.append(_post(wxr, element, post_id, label, logins))
    except ItemError as exc:
        batch.problems.append(Outcome(label, Result.FAILED, str(exc)))


def _when(wxr: _Wxr, element: Element, name: str) -> Any:
    value = wxr.text(element, name + "_gmt")
    return None if not value or value == _NO_DATE else parse_when(value)


def _post(
    wxr: _Wxr, element: Element, post_id: str, label: str, logins: dict[str, str]
) -> PostItem:
    status = wxr.text(element, "status")
    item = PostItem(
        key=post_id,
        label=label,
        title=one_line(element.findtext("title") or "", 200) or "(untitled)",
        body=html_to_markdown(element.findtext(_CONTENT) or ""),
        slug=unquote(wxr.text(element, "post_name")),
        status=_STATUSES.get(status, PostStatus.DRAFT),
        published_at=_when(wxr, element, "post_date"),
        updated_at=_when(wxr, element, "post_modified"),
        summary=html_to_text(element.findtext(wxr.excerpt) or ""),
        author=(element.findtext(_CREATOR) or "").strip(),
        allow_comments=wxr.text(element, "comment_status") != "closed",
    )
    item.created_at = item.published_at
    if item.status is PostStatus.SCHEDULED and item.published_at is None:
        item.status = PostStatus.DRAFT
    if status not in _STATUSES:
        item.notes.append(_("status “%(status)s” is unknown: imported as a draft", status=status))
    elif status == "private":
        item.notes.append(_("private in WordPress: imported as a draft"))
    _filing(element, item, is_page=wxr.text(element, "post_type") == "page")
    _comments(wxr, element, item, logins)
    return item


def _filing(element: Element, item: PostItem, *, is_page: bool) -> None:
    categories, tags = [], []
    for term in element.findall("category"):
        name = one_line(term.text or "", 60)
        if term.get("domain") == "category" and term.get("nicename") != "uncategorized":
            categories.append(name)
        elif term.get("domain") == "post_tag":
            tags.append(name)
    if is_page:
        categories.insert(0, PAGES_CATEGORY)
    item.category = categories[0] if categories else ""
    item.tags = unique(tags + categories[1:])


def _comments(wxr: _Wxr, element: Element, item: PostItem, logins: dict[str, str]) -> None:
    left_out = 0
    for comment in element.findall(wxr.wp + "comment"):
        approved = wxr.text(comment, "comment_approved")
        body = html_to_markdown(wxr.text(comment, "comment_content")).strip()
        if wxr.text(comment, "comment_type") in ("pingback", "trackback") or not body:
            left_out += 1
            continue
        if approved not in _COMMENT_STATUSES:  # "trash" and the like
            left_out += 1
            continue
        parent = wxr.text(comment, "comment_parent")
        item.comments.append(
            CommentItem(
                key=wxr.text(comment, "comment_id"),
                parent_key=parent if parent not in ("", "0") else None,
                name=one_line(wxr.text(comment, "comment_author"), 80) or "Anonymous",
                email=wxr.text(comment, "comment_author_email")[:254],
                website=wxr.text(comment, "comment_author_url")[:255] or None,
                body=body,
                status=_COMMENT_STATUSES[approved],
                created_at=_when(wxr, comment, "comment_date"),
                author=logins.get(wxr.text(comment, "comment_user_id"), ""),
            )
        )
    if left_out:
        item.notes.append(
            _("pingbacks, trackbacks and trashed comments left out: %(num)s", num=left_out)
        )
