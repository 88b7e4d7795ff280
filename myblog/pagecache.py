"""The page cache: anonymous GETs of public pages served from memory, before Flask runs.

`PageCache` wraps `app.wsgi_app`. A request may be answered from the cache when it is a GET
or HEAD outside `/admin`, `/auth`, `/api`, `/live`, `/static`, `/uploads` and `/search`, and
carries no session and no remember-me cookie. Its key is the content version
(`myblog/services/page_version.py`), the language and theme the page is written in, the scheme,
host and script root (canonical links are absolute), the path and the query string. A hit
costs a stat (or, scaled out, a Redis read at most once per second per process), a dict
lookup and the answer: no routing, no hooks, no SQL. A miss goes through Flask, and the page is
kept when Flask said it may be (`_public_headers`: a blog page or a 404, not streamed, for
an anonymous reader) and the response sets no cookie.

Every public page, cached or not, gets a strong ETag from its bytes (a matching
If-None-Match gets a 304) and Cache-Control for a proxy in front: `public, max-age=0,
s-maxage=N, must-revalidate` (HTML pages also say `Vary: Accept-Language, Cookie`:
myblog/i18n.py); a request with a session gets `private, no-store`. While Redis is down the
cache steps aside and pages are rendered.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_login.config import COOKIE_NAME
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import parse_cookie, parse_etags

from myblog.extensions import cache, db
from myblog.i18n import COOKIE as LANG_COOKIE
from myblog.i18n import locale_for
from myblog.queries.listings import ARCHIVE_CACHE_KEY
from myblog.services import page_version
from myblog.services.site import SITE_CACHE_KEY
from myblog.templating import THEMES

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

# /search: rate-limited per reader, and every query would be a page of its own;
# /subscribe: forms, and confirmation links that change a subscriber
NEVER_CACHED = (
    "/admin",
    "/auth",
    "/api",
    "/live",
    "/static",
    "/uploads",
    "/search",
    "/subscribe",
    "/unsubscribe",
)
WROTE = "_myblog_pagecache_wrote"  # in g: this request committed a change
KEY = "myblog.pagecache.key"  # the environ key of a request the cache may keep
KEEP = "myblog.pagecache.keep"  # set by Flask when the response may be kept
KEPT_STATUSES = ("200 OK", "404 NOT FOUND")
# what a 304 repeats of the full answer (RFC 9110, 15.4.5)
NOT_MODIFIED_HEADERS = frozenset({"cache-control", "etag", "vary", "expires", "content-location"})


@dataclass(frozen=True)
class Page:
    """A kept answer."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    expires: float


class MemoryPages:
    """Pages in this process: least recently used first out, within a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires <= time.monotonic():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def set(self, key: str, page: Page) -> None:
        if len(page.body) > self.max_bytes // 8:
            return  # one huge page would push out dozens of ordinary ones
        with self._lock:
            self._drop(key)
            self._pages[key] = page
            self.size += len(page.body)
            while self.size > self.max_bytes and self._pages:
                self._drop(next(iter(self._pages)))

    def _drop(self, key: str) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self.size -= len(page.body)


class SharedPages:
    """Pages in the shared cache (Redis), for every node; each expires after `ttl` seconds."""

    def __init__(self, backend: Any, ttl: int) -> None:
        self.backend = backend
        self.ttl = ttl

    @staticmethod
    def _name(key: str) -> str:
        return "myblog:page:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()

    def get(self, key: str) -> Page | None:
        page = self.backend.get(self._name(key))
        return page if isinstance(page, Page) else None

    def set(self, key: str, page: Page) -> None:
        self.backend.set(self._name(key), page, timeout=self.ttl)


class PageCache:
    """WSGI middleware answering anonymous GETs of public pages from the cache."""

    def __init__(
        self,
        app: Flask,
        wsgi_app: WSGIApplication,
        versions: page_version.VersionStore,
        pages: MemoryPages | SharedPages,
    ) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.versions = versions
        self.pages = pages
        self.ttl = float(app.config["MYBLOG_PAGE_CACHE_SECONDS"])
        self.private_cookies = (
            app.config["SESSION_COOKIE_NAME"],
            app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME),
        )
        # without Redis, the settings and archive caches are this process's own: drop them when
        # another process (a command, another worker) wrote a new version
        self.local_caches = not isinstance(pages, SharedPages)
        self._token: str | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        key = self.key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        page = self.pages.get(key)
        if page is not None:
            return self._answer(page, environ, start_response)
        environ[KEY] = key
        return self._render(key, environ, start_response)

    def key(self, environ: WSGIEnvironment) -> str | None:
        """The request's key, or None when the cache must not answer it."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path: str = environ.get("PATH_INFO", "")
        query: str = environ.get("QUERY_STRING", "")
        if path.startswith(NEVER_CACHED) or len(path) + len(query) > 2000:
            return None
        theme, lang = "auto", None
        if header := environ.get("HTTP_COOKIE"):
            cookies = parse_cookie(header)
            if any(name in cookies for name in self.private_cookies):
                return None
            theme = cookies.get("theme", "auto")
            theme = theme if theme in THEMES else "auto"
            lang = cookies.get(LANG_COOKIE)
        version = self.version()
        if version is None:
            return None
        return "\x1f".join(
            (
                version,
                locale_for(lang, environ.get("HTTP_ACCEPT_LANGUAGE")),
                theme,
                environ.get("wsgi.url_scheme", "http"),
                environ.get("HTTP_HOST", ""),
                environ.get("SCRIPT_NAME", ""),
                path,
                query,
            )
        )

    def version(self) -> str | None:
        """The current version's token; a new one once a scheduled post fell due (or none was
        written yet); None while the store is unreachable (pages are then rendered)."""
        try:
            version = self.versions.read()
            if self.versions.is_down:
                return None
            if version is None or version.stale(time.time()):
                with self.app.app_context():
                    version = page_version.refresh(self.versions)
        except Exception:  # noqa: BLE001 - a broken cache must never break a page
            logger.warning("page cache: no content version; rendering", exc_info=True)
            return None
        if version.token != self._token:
            self._token = version.token
            if self.local_caches:
                backend = self.app.extensions["cache"][cache]
                backend.delete(SITE_CACHE_KEY)
                backend.delete(ARCHIVE_CACHE_KEY)
        return version.token

    def _answer(
        self, page: Page, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if page.etag and _matches(environ.get("HTTP_IF_NONE_MATCH"), page.etag):
            headers = [h for h in page.headers if h[0].lower() in NOT_MODIFIED_HEADERS]
            start_response("304 NOT MODIFIED", headers)
            return []
        start_response(page.status, list(page.headers))
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [page.body]

    def _render(
        self, key: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        answer: dict[str, Any] = {}

        def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember)
        status = answer.get("status")
        headers: list[tuple[str, str]] = answer.get("headers", [])
        if (
            environ.get(KEEP) is None
            or environ["REQUEST_METHOD"] != "GET"
            or status not in KEPT_STATUSES
            or any(name.lower() == "set-cookie" for name, _ in headers)
        ):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        page = Page(status, list(headers), data, environ[KEEP] or None, time.monotonic() + self.ttl)
        try:
            self.pages.set(key, page)
        except Exception:  # noqa: BLE001 - the reader has the page; keeping it is a bonus
            logger.warning("page cache: could not keep %s", environ.get("PATH_INFO"), exc_info=True)
        return [data]


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match == etag or parse_etags(if_none_match).contains(etag.strip('"'))


def is_public_page() -> bool:
    """Whether this request's answer is a public page: the blog's pages and any 404."""
    return request.blueprint == "blog" and request.endpoint != "blog.uploaded_file"


def _public_headers(response: Response) -> Response:
    """ETag, 304 and Cache-Control on public pages; `private, no-store` with a session."""
    if request.method not in ("GET", "HEAD") or request.endpoint == "static":
        return response
    if g.get(WROTE):  # a GET that changed something (a confirmation link) is nobody else's
        response.headers.setdefault("Cache-Control", "no-store")
        return response
    config = current_app.config
    cookies = request.cookies
    private = (
        config["SESSION_COOKIE_NAME"] in cookies
        or config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in cookies
        or session.modified
        or "Set-Cookie" in response.headers
    )
    if private:
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response
    public = response.status_code == 404 or (response.status_code == 200 and is_public_page())
    if not public or response.is_streamed or "Cache-Control" in response.headers:
        return response
    seconds = int(config["MYBLOG_PAGE_PROXY_SECONDS"])
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={seconds}, must-revalidate"
    etag = '"' + hashlib.blake2b(response.get_data(), digest_size=16).hexdigest() + '"'
    response.headers["ETag"] = etag
    request.environ[KEEP] = etag
    if response.status_code == 200 and _matches(request.headers.get("If-None-Match"), etag):
        request.environ[KEEP] = None  # not this one: a 304 has no body to keep
        response.status_code = 304
        response.set_data(b"")
        for name in ("Content-Type", "Content-Length"):
            response.headers.pop(name, None)
    return response


def _note_write(session: Session) -> None:
    if has_request_context() and not session.in_nested_transaction():
        setattr(g, WROTE, True)


def _stores(app: Flask) -> tuple[page_version.VersionStore, MemoryPages | SharedPages]:
    backend = app.extensions["cache"][cache]
    seconds = int(app.config["MYBLOG_PAGE_CACHE_SECONDS"])
    if app.config.get("REDIS_URL"):
        versions = page_version.CacheVersion(backend, app.config["MYBLOG_PAGE_VERSION_SECONDS"])
        return versions, SharedPages(backend, seconds)
    path = app.config["MYBLOG_PAGE_VERSION_FILE"] or Path(app.instance_path) / "page-version"
    megabytes = int(app.config["MYBLOG_PAGE_CACHE_MB"])
    return page_version.FileVersion(path), MemoryPages(megabytes * 1024 * 1024)


def init_app(app: Flask) -> None:
    """Wrap the app in the page cache when MYBLOG_PAGE_CACHE is on; headers for every page.

    Called before security.init_app, so that ProxyFix wraps the cache and fixes each request's
    scheme and address before the cache reads them."""
    app.after_request(_public_headers)
    if not event.contains(db.session, "after_commit", _note_write):
        event.listen(db.session, "after_commit", _note_write)
    if not app.config["MYBLOG_PAGE_CACHE"]:
        return
    page_version.install_session_hooks()
    versions, pages = _stores(app)
    app.extensions[page_version.EXTENSION_KEY] = versions
    wrapped: Callable[..., Any] = PageCache(app, app.wsgi_app, versions, pages)
    app.wsgi_app = wrapped  # type: ignore[method-assign]
