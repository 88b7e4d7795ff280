"""What machines read about a post: dates as RFC 3339, stable entry ids, absolute links in its
HTML, and the post page's Open Graph, Twitter card and JSON-LD `BlogPosting`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import g, request, url_for
from flask_babel import get_timezone

from myblog.queries.post_page import PostView

# an href or src that starts at the site's root ("/uploads/…"), not at another host ("//…")
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
_FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def rfc3339(moment: datetime) -> str:
    """A timestamp as feeds and sitemaps want it: RFC 3339 to the second, in the blog's time
    zone with its offset ("2030-01-01T09:00:00+08:00")."""
    return moment.astimezone(ZoneInfo(str(get_timezone()))).isoformat(timespec="seconds")


def entry_id(post_id: int, created_at: datetime) -> str:
    """A post's id in feeds: a tag URI (RFC 4151) of the blog's host, the day the post was
    created and its number, so that a new title, slug or date never makes it a new entry."""
    host = urlsplit(request.host_url).hostname or "localhost"
    return f"tag:{host},{created_at.astimezone(UTC):%Y-%m-%d}:post:{post_id}"


def absolute_links(html: str) -> str:
    """The post's HTML with root-relative links and images made absolute, for feed readers,
    which read it away from the site."""
    return _ROOT_RELATIVE.sub(lambda m: m.group(1) + request.host_url, html)


def first_image(html: str) -> str | None:
    """The absolute address of the first image of the post's HTML, if it has one."""
    found = _FIRST_IMAGE.search(html)
    if found is None:
        return None
    src = found.group(1).replace("&amp;", "&")
    return request.host_url + src[1:] if src.startswith("/") and not src.startswith("//") else src


@dataclass(frozen=True)
class PostMetadata:
    """What the post page's head says about the post to search engines and link previews."""

    url: str
    description: str
    published: str | None
    modified: str | None
    image: str | None
    structured: dict[str, Any]


def post_metadata(post: PostView, url: str) -> PostMetadata:
    """The post's metadata; `url` is its canonical address."""
    published = rfc3339(post.published_at) if post.published_at else None
    changed = max(post.updated_at, post.published_at) if post.published_at else post.updated_at
    image = first_image(post.body_html)
    author_url = url_for("blog.show_author", username=post.author.username, _external=True)
    structured: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": published,
        "dateModified": rfc3339(changed),
        "author": {"@type": "Person", "name": post.author.display_name, "url": author_url},
        "description": post.excerpt,
        "keywords": ", ".join(tag.name for tag in post.tags),
        "publisher": {"@type": "Organization", "name": g.site.title},
    }
    if post.category is not None:
        structured["articleSection"] = post.category.name
    if image is not None:
        structured["image"] = image
    structured = {key: value for key, value in structured.items() if value}
    description = post.excerpt or post.title
    return PostMetadata(url, description, published, rfc3339(changed), image, structured)
