"""App-wide hooks: first-run redirect, security headers, template globals, SQLite pragmas."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask_login.config import COOKIE_NAME
from markupsafe import Markup, escape
from sqlalchemy import event
from sqlalchemy.engine import Engine

from myblog.extensions import db, login_manager, release_read_connection
from myblog.models.types import utcnow
from myblog.services.site import get_site

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# endpoints that must work before the owner exists
SETUP_OPEN_ENDPOINTS = {"static", "auth.setup"}
THEMES = ("light", "dark")


def _load_site() -> Any:
    if request.endpoint in SETUP_OPEN_ENDPOINTS:
        return None
    g.site = get_site()
    if g.site is None:
        if request.blueprint == "api":
            return None  # the API answers 503 by itself rather than redirecting
        return redirect(url_for("auth.setup"))
    return None


def _anonymous_without_cookies() -> None:
    # No session cookie and no remember-me cookie: nobody can be logged in. Saying so up front
    # spares Flask-Login's session-protection check, which hashes the client's address and
    # user agent on every request that looks at current_user, before it finds the empty session.
    cookies = request.cookies
    config = current_app.config
    if (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in cookies
    ):
        g._login_user = login_manager.anonymous_user()


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _template_globals() -> dict[str, Any]:
    # No queries here: g.site was loaded (and cached) by the before_request hook.
    theme = request.cookies.get("theme")
    return {"site": g.get("site"), "theme": theme if theme in THEMES else "light"}


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


def _memoised_url_for(app: Flask) -> Callable[..., str]:
    """url_for for templates, remembering what it built.

    A page links the same fixed places on every request (stylesheets, scripts, navigation);
    building each one costs a werkzeug rule build. Relative URLs depend only on the endpoint,
    its values and the request's script root, so that is the key. External URLs, anchors,
    methods and relative endpoints (".name", which depend on the blueprint) are built as usual.
    """

    @lru_cache(maxsize=2048)
    def build(script_root: str, endpoint: str, values: tuple[tuple[str, Any], ...]) -> str:
        return app.url_for(endpoint, **dict(values))

    def url_for_template(endpoint: str, **values: Any) -> str:
        if endpoint.startswith(".") or any(key.startswith("_") for key in values):
            return app.url_for(endpoint, **values)
        try:
            return build(request.script_root, endpoint, tuple(sorted(values.items())))
        except TypeError:  # a value that cannot be a key: build it every time
            return app.url_for(endpoint, **values)

    return url_for_template


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _postgres_utc(dbapi_connection: Any, connection_record: Any) -> None:
    # extract(month …) and other date functions use the session time zone: make it UTC, like
    # the stored values and the month boundaries the queries use, whatever the server's default
    if "psycopg" not in type(dbapi_connection).__module__:
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _load_user(user_id: str) -> Any:
    from myblog.models import User

    if not (user_id.isascii() and user_id.isdigit()):
        return None
    return db.session.get(User, int(user_id))


def init_app(app: Flask) -> None:
    """Register the hooks on the app."""
    app.before_request(_anonymous_without_cookies)
    app.before_request(_load_site)
    app.after_request(_security_headers)
    app.teardown_appcontext(release_read_connection)
    app.context_processor(_template_globals)
    app.add_template_global(utcnow, "now_utc")
    app.add_template_global(link_prefix)
    app.add_template_filter(path_segment)
    app.add_template_filter(time_tag)
    app.jinja_env.globals["url_for"] = _memoised_url_for(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    for on_connect in (_sqlite_pragmas, _postgres_utc):
        if not event.contains(Engine, "connect", on_connect):
            event.listen(Engine, "connect", on_connect)
