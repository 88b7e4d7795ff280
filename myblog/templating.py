"""What every template gets: the blog, the theme, link helpers, dates in the blog's time zone
and the page's language."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask import Flask, g, request, url_for
from flask_babel import format_number, get_locale, get_timezone
from markupsafe import Markup, escape

from myblog.models.types import utcnow

THEMES = ("light", "dark")


def _template_globals() -> dict[str, Any]:
    # No queries here: g.site was loaded (and cached) before the view ran.
    theme = request.cookies.get("theme")
    # "auto": no choice made, so the page follows the reader's system (static/js/theme.js)
    return {"site": g.get("site"), "theme": theme if theme in THEMES else "auto"}


def month_name(month: int) -> str:
    """The name of a month number in the page's language ("November", "十一月")."""
    return str(dates.get_month_names("wide", locale=get_locale())[month])


_SLUG_MARKER = "__myblog_slug__"
_ROUTE_ARGS = {
    "blog.show_post": "slug",
    "blog.show_category": "slug",
    "blog.show_tag": "slug",
    "blog.show_author": "username",
    "blog.uploaded_file": "filename",
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


@lru_cache(maxsize=64)
def _pattern(locale: Locale, skeleton: str) -> dates.DateTimePattern:
    # what format_skeleton finds on every call, found once per language
    skeletons = locale.datetime_skeletons
    if skeleton not in skeletons:
        skeleton = dates.match_skeleton(skeleton, skeletons) or skeleton
    return dates.parse_pattern(skeletons[skeleton])


def _shown(local: datetime, shown: str) -> str:
    # CLDR skeletons, which each language orders and words its own way: "Nov 30, 2026, 13:45",
    # "2026年11月30日 13:45"; anything else is a strftime pattern
    locale = get_locale()
    if shown not in ("date", "datetime"):
        return local.strftime(shown)
    day = _pattern(locale, "yMMMd").apply(local, locale)
    if shown == "date":
        return day
    clock = _pattern(locale, "Hm").apply(local, locale)
    return str(locale.datetime_formats["medium"]).format(clock, day)


def blog_zone() -> ZoneInfo:
    """The blog's time zone (Flask-Babel's choice, as a zoneinfo zone: quicker than pytz)."""
    return ZoneInfo(str(get_timezone()))


def time_tag(moment: datetime, shown: str = "date") -> Markup:
    """`<time datetime="ISO">shown</time>` for a datetime, in the blog's time zone and the
    page's language ("date", "datetime", or a strftime pattern), as one piece of markup."""
    local = moment.astimezone(blog_zone())
    return Markup(f'<time datetime="{local.isoformat()}">{escape(_shown(local, shown))}</time>')


def month_label(month: int, year: int) -> str:
    """A month of a year as the page's language writes it ("November 2026", "2026年11月")."""
    locale = get_locale()
    return str(_pattern(locale, "yMMMM").apply(datetime(year, month, 1), locale))


def init_app(app: Flask) -> None:
    """Register the template globals and filters."""
    app.context_processor(_template_globals)
    app.add_template_global(utcnow, "now_utc")
    app.add_template_global(link_prefix)
    app.add_template_filter(path_segment)
    app.add_template_filter(time_tag)
    app.add_template_filter(month_name)
    app.add_template_global(month_label)
    app.add_template_filter(format_number, "number")
