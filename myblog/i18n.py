"""The interface's language and time zone (Flask-Babel).

The language of a page: the reader's choice (the `lang` cookie), else the blog's default
language, else the browser's `Accept-Language`; the supported ones are `SUPPORTED`. Message
catalogs live in `myblog/translations/` (how to extract, update and compile them: README).
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, g, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from myblog.extensions import babel

# interface languages, by their Babel locale; `en` is the source language of every message
SUPPORTED = ("en", "zh_CN")
COOKIE = "lang"


def select_locale() -> str:
    """The language this request's pages are written in."""
    return locale_for(request.cookies.get(COOKIE), request.headers.get("Accept-Language"))


@lru_cache(maxsize=256)
def locale_for(cookie: str | None, accept_language: str | None) -> str:
    """The page's language from the `lang` cookie and the Accept-Language header (also used by
    the page cache, before Flask has a request)."""
    if cookie in SUPPORTED:
        return cookie
    if not accept_language:
        return "en"
    best = parse_accept_header(accept_language, LanguageAccept).best_match(SUPPORTED)
    return best or "en"


def select_timezone() -> str | None:
    """The blog's time zone (None: UTC)."""
    site = g.get("site")
    return getattr(site, "timezone", None) or None


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the selectors above; `_` and `ngettext` are then in every template."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
