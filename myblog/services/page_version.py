"""The content version: one token that every change readers could see replaces, so the page
cache (`myblog/pagecache.py`) never serves a page rendered before the last change.

A write marks its session (`content_changed`): the ORM listeners below do it for every insert,
update or delete of posts, their tags, approved comments, categories, tags, the settings,
profiles and what pages show of users, bulk statements included, so no service has to
remember. The outer commit then writes a new token, after the rows are visible to other
connections (a page rendered from the old rows is stored under the old token, never the new
one). The token also carries when the next scheduled post falls due: pages are stale from that
moment (`Version.stale`), and whoever notices first writes a new token (`refresh`).

Where the token lives (`FileVersion`, `CacheVersion`): a file in the instance folder on one
machine, so the server's processes and the `flask` commands (imports, `publish-due`) share
it; Redis when the blog runs on several nodes, read at most once per `ttl` by each process.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, has_app_context
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from myblog.extensions import db
from myblog.models import Comment, CommentStatus, Post, PostStatus, User
from myblog.models.types import utcnow

logger = logging.getLogger(__name__)

EXTENSION_KEY = "myblog.page_version"
MARK = "myblog.content_changed"
NEXT_DUE = "myblog.next_due"
# the tables whose rows some public page shows
CONTENT_TABLES = frozenset(
    {"posts", "post_tags", "categories", "tags", "comments", "site", "profiles", "users"}
)
# what a page shows of a user; the rest (password, session token, email) never reaches one
USER_FIELDS = ("username", "role", "active")


@dataclass(frozen=True)
class Version:
    """The content version: a random token, and when the next scheduled post becomes visible
    (epoch seconds, None when nothing is scheduled)."""

    token: str
    due: float | None = None

    def stale(self, now: float) -> bool:
        """True once the next scheduled post is visible: pages cached before are out of date."""
        return self.due is not None and now >= self.due

    def dump(self) -> str:
        return f"{self.token} {'' if self.due is None else repr(self.due)}"

    @classmethod
    def load(cls, text: str | bytes | None) -> Version | None:
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        if not text:
            return None
        token, _, due = text.strip().partition(" ")
        try:
            return cls(token, float(due) if due else None)
        except ValueError:
            return None


class VersionStore(Protocol):
    """Where the version is kept."""

    def read(self) -> Version | None: ...

    def write(self, version: Version) -> None: ...

    @property
    def is_down(self) -> bool: ...


class FileVersion:
    """The version in a file: read again only when the file changed (one stat per read)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._seen: tuple[tuple[int, ...] | None, Version | None] = (None, None)

    is_down = False

    def read(self) -> Version | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        key = (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_size)
        seen_key, seen = self._seen
        if seen_key == key:
            return seen
        try:
            version = Version.load(self.path.read_text(encoding="ascii", errors="replace"))
        except FileNotFoundError:
            return None
        self._seen = (key, version)
        return version

    def write(self, version: Version) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(version.dump(), encoding="ascii")
        os.replace(temporary, self.path)  # readers see the old file or the new one, never half


class CacheVersion:
    """The version in the shared cache (Redis), remembered by this process for `ttl` seconds."""

    key = "myblog:page-version"

    def __init__(self, backend: Any, ttl: float) -> None:
        self.backend = backend
        self.ttl = ttl
        self._memo: tuple[float, Version | None] = (0.0, None)

    @property
    def is_down(self) -> bool:
        return bool(getattr(self.backend, "is_down", False))

    def read(self) -> Version | None:
        now = time.monotonic()
        until, version = self._memo
        if now < until:
            return version
        version = Version.load(self.backend.get(self.key))
        self._memo = (now + self.ttl, version)
        return version

    def write(self, version: Version) -> None:
        self.backend.set(self.key, version.dump(), timeout=0)  # 0: kept until replaced
        self._memo = (time.monotonic() + self.ttl, version)


def content_changed(session: Session | None = None) -> None:
    """Say that this transaction changes what readers see: its commit writes a new version."""
    (session if session is not None else db.session()).info[MARK] = True


def next_due(session: Session, now: datetime | None = None) -> float | None:
    """When the next scheduled post becomes visible (epoch seconds), or None."""
    moment = now or utcnow()
    due = session.scalar(
        select(func.min(Post.published_at)).where(
            Post.status != PostStatus.DRAFT, Post.published_at > moment
        )
    )
    return due.timestamp() if isinstance(due, datetime) else None


def refresh(store: VersionStore, now: datetime | None = None) -> Version:
    """Write a new version with the next due time read now (also when none was stored yet)."""
    version = Version(secrets.token_hex(8), next_due(db.session(), now))
    store.write(version)
    return version


def current_store() -> VersionStore | None:
    """This app's version store, None when the page cache is off."""
    store: VersionStore | None = current_app.extensions.get(EXTENSION_KEY)
    return store


# --- the session listeners -------------------------------------------------------------------


def _table(obj: object) -> str | None:
    return getattr(type(obj), "__tablename__", None)


def _shows(obj: object, *, new: bool = False) -> bool:
    """Whether writing this object changes a page."""
    if _table(obj) not in CONTENT_TABLES:
        return False
    if isinstance(obj, Comment) and new:
        return obj.status is CommentStatus.APPROVED  # pending and spam comments show nowhere
    if isinstance(obj, User):
        if new:
            return False  # nobody's page shows a user before they write
        state: Any = inspect(obj)
        return any(state.attrs[name].history.has_changes() for name in USER_FIELDS)
    return True


def _after_flush(session: Session, _context: Any) -> None:
    if MARK in session.info:
        return
    if (
        any(_shows(obj, new=True) for obj in session.new)
        or any(_shows(obj) for obj in session.dirty if session.is_modified(obj))
        or any(_table(obj) in CONTENT_TABLES for obj in session.deleted)
    ):
        content_changed(session)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in CONTENT_TABLES:
        content_changed(state.session)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction() or not has_app_context() or current_store() is None:
        return
    session.flush()  # the commit's own flush comes after this hook: its writes mark the session
    if MARK in session.info:
        session.info[NEXT_DUE] = next_due(session)


def _after_commit(session: Session) -> None:
    # a savepoint's release also fires after_commit; only the outer commit makes rows visible
    if session.in_nested_transaction() or session.info.pop(MARK, None) is None:
        return
    due = session.info.pop(NEXT_DUE, None)
    store = current_store() if has_app_context() else None
    if store is None:
        return
    try:
        store.write(Version(secrets.token_hex(8), due))
    except OSError:
        # the change is committed: the pages catch up at the next write or due time
        logger.exception("page cache: the new content version could not be written")


def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(MARK, None)
        session.info.pop(NEXT_DUE, None)


def install_session_hooks() -> None:
    """Listen on db.session (once per process)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
