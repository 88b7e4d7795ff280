"""What crawlers read first: robots.txt, and the sitemap, split into pages under an index when
the blog has more pages than one sitemap may list (50,000 by the protocol)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Response, current_app, request, url_for
from flask.typing import ResponseReturnValue

from myblog.blog.blueprint import bp
from myblog.blog.metadata import rfc3339
from myblog.queries.sitemap import SitemapRow, sitemap_rows, sitemap_size
from myblog.web import or_404

XML = "application/xml"
_QUOTES = {"'": "&apos;"}
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# kept out of search engines: the writers' side, sign-in pages and the JSON API
PRIVATE_PATHS = ("/admin", "/auth", "/api")
# what werkzeug's string converter leaves unquoted in a path segment (as in templating.py)
_CONVERTER_SAFE = "!$&'()*+,/:;=@"
# letters, digits and "-._~": nothing to quote, nothing to escape (most slugs)
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+\Z")
_MARKER = "__myblog_key__"
_ROUTES = {
    "post": ("blog.show_post", "slug"),
    "category": ("blog.show_category", "slug"),
    "tag": ("blog.show_tag", "slug"),
    "author": ("blog.show_author", "username"),
}
_FIXED = {"home": "blog.index", "archive": "blog.archive", "about": "blog.about"}


def page_size() -> int:
    """URLs per sitemap (MYBLOG_SITEMAP_PAGE_SIZE, at most the protocol's 50,000)."""
    return int(current_app.config["MYBLOG_SITEMAP_PAGE_SIZE"])


def _addresses() -> Callable[[SitemapRow], str]:
    """A function from a row to its page's absolute URL: url_for once per route, not per row
    (a sitemap may list 50,000 of them)."""
    fixed = {kind: url_for(endpoint, _external=True) for kind, endpoint in _FIXED.items()}
    prefixes = {
        kind: url_for(endpoint, _external=True, **{arg: _MARKER}).partition(_MARKER)[0]
        for kind, (endpoint, arg) in _ROUTES.items()
    }

    def address(row: SitemapRow) -> str:
        if row.kind in fixed:
            return fixed[row.kind]
        key = row.key if _PLAIN.match(row.key) else quote(row.key, safe=_CONVERTER_SAFE)
        return prefixes[row.kind] + key

    return address


def _urlset(found: list[SitemapRow]) -> Iterable[str]:
    address = _addresses()
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    for row in found:
        lastmod = f"<lastmod>{rfc3339(row.lastmod)}</lastmod>" if row.lastmod else ""
        yield f"<url><loc>{escape(address(row), _QUOTES)}</loc>{lastmod}</url>\n"
    yield "</urlset>\n"


def _index(pages: int) -> Iterable[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
    for number in range(1, pages + 1):
        loc = url_for("blog.sitemap_page", number=number, _external=True)
        yield f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n"
    yield "</sitemapindex>\n"


def _xml(parts: Iterable[str]) -> Response:
    # joined, not streamed: at most one page of URLs (a few MB), and a body with a length
    return Response("".join(parts), mimetype=XML)


@bp.route("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """Every public page with its last change; an index of sitemap pages past one page's worth
    (one statement for a blog that fits, a count more for one that does not)."""
    size = page_size()
    found = sitemap_rows(offset=0, limit=size + 1)
    if len(found) <= size:
        return _xml(_urlset(found))
    return _xml(_index(-(-sitemap_size() // size)))


@bp.route("/sitemap-<id:number>.xml")
def sitemap_page(number: int) -> ResponseReturnValue:
    """One page of a sitemap split under the index (404 past the last)."""
    size = page_size()
    found = or_404(sitemap_rows(offset=(number - 1) * size, limit=size) or None)
    return _xml(_urlset(found))


@bp.route("/robots.txt")
def robots() -> ResponseReturnValue:
    """What crawlers may read, and where the sitemap is."""
    root = request.script_root
    lines = ["User-agent: *", *(f"Disallow: {root}{path}" for path in PRIVATE_PATHS), ""]
    lines.append(f"Sitemap: {url_for('blog.sitemap', _external=True)}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
