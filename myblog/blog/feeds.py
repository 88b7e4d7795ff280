"""The blog's feeds: Atom and JSON Feed 1.1, of the whole blog and of each category, tag and
author; each carries the newest posts' summaries or the whole posts, as the owner chose."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, g, render_template, url_for
from flask.typing import ResponseReturnValue

from myblog.blog.blueprint import bp
from myblog.blog.metadata import absolute_links, entry_id, rfc3339
from myblog.models import Category, FeedContent, Tag
from myblog.models.types import utcnow
from myblog.queries import listings
from myblog.queries.feeds import FeedEntry, feed_entries
from myblog.web import or_404

FEED_SIZE = 20
ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
TERMS = "<any(category, tag, author):kind>/<key>"
_TERM_FEEDS = ("blog.term_feed", "blog.term_json_feed")


@dataclass(frozen=True)
class Feed:
    """One feed, whatever its format: what it is about, where it lives, its entries."""

    title: str
    description: str
    page_url: str  # the HTML page the feed follows
    atom_url: str
    json_url: str
    entries: list[FeedEntry]

    @property
    def updated(self) -> datetime:
        """The last change of its entries (now, for a feed with none yet)."""
        return max((entry.updated_at for entry in self.entries), default=utcnow())


def _feed(title: str, page_url: str, kind: str = "all", key: str = "", term_id: int = 0) -> Feed:
    """The feed of the whole blog (`kind` "all"), or of the category, tag or author `term_id`
    whose slug or username is `key`; `page_url` is the HTML page it follows."""
    values = {} if kind == "all" else {"kind": kind, "key": key}
    atom, as_json = ("blog.feed", "blog.json_feed") if kind == "all" else _TERM_FEEDS
    full = g.site.feed_content is FeedContent.FULL
    return Feed(
        title=title,
        description=g.site.tagline,
        page_url=page_url,
        atom_url=url_for(atom, _external=True, **values),
        json_url=url_for(as_json, _external=True, **values),
        entries=feed_entries(limit=FEED_SIZE, full=full, kind=kind, key=term_id),
    )


def _site_feed() -> Feed:
    return _feed(g.site.title, url_for("blog.index", _external=True))


def _term_feed(kind: str, key: str) -> Feed:
    """The feed of the category, tag or author named by `key`; 404 when there is none."""
    if kind == "author":
        author = or_404(listings.find_author(key))
        page = url_for("blog.show_author", username=key, _external=True)
        return _feed(f"{g.site.title} · {author.display_name}", page, kind, key, author.id)
    term = or_404(listings.find_term(Category if kind == "category" else Tag, key))
    page = url_for(f"blog.show_{kind}", slug=key, _external=True)
    name = term.name if kind == "category" else f"#{term.name}"
    return _feed(f"{g.site.title} · {name}", page, kind, key, term.id)


def _atom(feed: Feed) -> Response:
    body = render_template(
        "blog/feed.xml", feed=feed, rfc3339=rfc3339, entry_id=entry_id, absolute=absolute_links
    )
    return Response(body, mimetype=ATOM)


def _item(entry: FeedEntry) -> dict[str, Any]:
    author_url = url_for("blog.show_author", username=entry.author.username, _external=True)
    item: dict[str, Any] = {
        "id": entry_id(entry.id, entry.created_at),
        "url": url_for("blog.show_post", slug=entry.slug, _external=True),
        "title": entry.title,
        "summary": entry.excerpt,
        "date_published": rfc3339(entry.published_at),
        "date_modified": rfc3339(entry.updated_at),
        "authors": [{"name": entry.author.display_name, "url": author_url}],
        "tags": [tag.name for tag in entry.tags],
    }
    if entry.body_html is None:
        item["content_text"] = entry.excerpt
    else:
        item["content_html"] = absolute_links(entry.body_html)
    return item


def _json(feed: Feed) -> Response:
    document: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.page_url,
        "feed_url": feed.json_url,
        "items": [_item(entry) for entry in feed.entries],
    }
    if feed.description:
        document["description"] = feed.description
    return Response(json.dumps(document, ensure_ascii=False), mimetype=JSON_FEED)


@bp.route("/feed.xml")
def feed() -> ResponseReturnValue:
    """Atom feed of the blog's newest posts."""
    return _atom(_site_feed())


@bp.route("/feed.json")
def json_feed() -> ResponseReturnValue:
    """JSON Feed 1.1 of the blog's newest posts."""
    return _json(_site_feed())


@bp.route(f"/{TERMS}/feed.xml")
def term_feed(kind: str, key: str) -> ResponseReturnValue:
    """Atom feed of the newest posts of one category, tag or author."""
    return _atom(_term_feed(kind, key))


@bp.route(f"/{TERMS}/feed.json")
def term_json_feed(kind: str, key: str) -> ResponseReturnValue:
    """JSON Feed 1.1 of the newest posts of one category, tag or author."""
    return _json(_term_feed(kind, key))
