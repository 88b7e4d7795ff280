"""What every template gets: the blog, the theme, link and date helpers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Flask, g, request, url_for
from markupsafe import Markup, escape

from myblog.models.types import utcnow

THEMES = ("light", "dark")


def _template_globals() -> dict[str, Any]:
    # No queries here: g.site was loaded (and cached) before the view ran.
    theme = request.cookies.get("theme")
    # "auto": no choice made, so the page follows the reader's system (static/js/theme.js)
    return {"site": g.get("site"), "theme": theme if theme in THEMES else "auto"}


def month_name(month: int) -> str:
    """The English name of a month number, for the archive."""
    return datetime(2000, month, 1).strftime("%B")


_SLUG_MARKER = "__myblog_slug__"
_ROUTE_ARGS = {
    "blog.show_post": "slug",
    "blog.show_category": "slug",
    "blog.show_tag": "slug",
    "blog.show_author": "username",
}
# what werkzeug's string converter leaves unquoted in a path segment
_CONVERTER_SAFE = "!$&'()*+,/:;=@"
# unreserved characters: quoting leaves them alone and HTML has nothing to escape in them
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+\Z")


def _raw_prefix(endpoint: str) -> str:
    prefixes: dict[str, str] = g.setdefault("_link_prefixes", {})
    prefix = prefixes.get(endpoint)
    if prefix is None:
        values: dict[str, Any] = {_ROUTE_ARGS[endpoint]: _SLUG_MARKER}
        url = url_for(endpoint, **values)
        before, _, after = url.partition(_SLUG_MARKER)
        if after:
            raise ValueError(f"{endpoint}: the argument is not at the end of {url}")
        prefix = prefixes[endpoint] = before
    return prefix


def link_prefix(endpoint: str) -> Markup:
    """The URL of a one-argument public route up to its argument, e.g. "/post/".

    Listing pages link every post, author, category and tag: dozens of links per page. The
    prefix is built by url_for once per request (so SCRIPT_NAME and the rules still decide it)
    and templates append `value|path_segment`.
    """
    return escape(_raw_prefix(endpoint))


def path_segment(value: str, prefix: Markup | None = None) -> Markup:
    """The value quoted as werkzeug's string converter quotes it, ready for an HTML attribute,
    after `prefix` (a link_prefix) when given: `{{ post.slug|path_segment(post_at) }}`."""
    if _PLAIN_SEGMENT.match(value):
        segment = value  # nothing to quote, nothing to escape
    else:
        segment = str(escape(quote(value, safe=_CONVERTER_SAFE)))
    # both parts are escaped already: join them as plain strings (Markup + str would escape)
    return Markup(segment if prefix is None else str.__add__(prefix, segment))


def time_tag(moment: datetime, shown: str = "%Y-%m-%d") -> Markup:
    """`<time datetime="ISO">shown</time>` for a datetime, as one piece of markup."""
    # digits, dashes, colons, dots, "T" and "+": nothing to escape in either part
    text = moment.date().isoformat() if shown == "%Y-%m-%d" else moment.strftime(shown)
    return Markup(f'<time datetime="{moment.isoformat()}">{text}</time>')


def init_app(app: Flask) -> None:
    """Register the template globals and filters."""
    app.context_processor(_template_globals)
    app.add_template_global(utcnow, "now_utc")
    app.add_template_global(link_prefix)
    app.add_template_filter(path_segment)
    app.add_template_filter(time_tag)
    app.add_template_filter(month_name)
