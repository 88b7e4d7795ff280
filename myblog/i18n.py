"""The interface's language and time zone (Flask-Babel).

The language of a page: the reader's choice (the `lang` cookie), else the blog's default
language, else the browser's `Accept-Language`; the supported ones are `SUPPORTED`. Message
catalogs live in `myblog/translations/` (how to extract, update and compile them: README).
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request

from myblog.extensions import babel

# interface languages, by their Babel locale; `en` is the source language of every message
SUPPORTED = ("en", "zh_CN")
COOKIE = "lang"


def select_locale() -> str:
    """The language this request's pages are written in (outside a request: English)."""
    if not has_request_context():  # a command or a background pass
        return "en"
    chosen = request.cookies.get(COOKIE)
    if chosen in SUPPORTED:
        return chosen
    best = request.accept_languages.best_match(SUPPORTED)
    return best or "en"


def select_timezone() -> str | None:
    """The blog's time zone (None: UTC)."""
    site = g.get("site")
    return getattr(site, "timezone", None) or None


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the selectors above; `_` and `ngettext` are then in every template."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
