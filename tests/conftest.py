"""Shared fixtures: an app per test on a fresh database, clients, factories, query counting."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from myblog import create_app
from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Role, Tag, User
from myblog.models._types import utcnow
from myblog.services.accounts import create_user, setup_blog
from myblog.services.markdown import make_excerpt, render_markdown

REQUIRE_SERVICES = os.environ.get("MYBLOG_REQUIRE_SERVICES") == "1"
OWNER_PASSWORD = "correct horse battery"


def need_service(name: str, available: bool, why: str) -> None:
    """Skip when a service is missing locally; fail instead under MYBLOG_REQUIRE_SERVICES=1."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (MYBLOG_REQUIRE_SERVICES=1) but unavailable: {why}")
    pytest.skip(f"{name} unavailable: {why}")


@pytest.fixture
def make_app(tmp_path):
    """Build an app on a fresh SQLite file; call with overrides for special cases."""
    apps: list[Flask] = []

    def build(*, setup: bool = True, **overrides: Any) -> Flask:
        settings = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'test{len(apps)}.sqlite'}",
            "MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
            "MYBLOG_LOGIN_LIMIT": "1000 per minute",
            **overrides,
        }
        app = create_app("testing", settings)
        with app.app_context():
            db.create_all()
            if setup:
                setup_blog(
                    title="Test Blog",
                    username="owner",
                    email="owner@example.com",
                    password=OWNER_PASSWORD,
                )
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context, for tests that call services directly."""
    with app.app_context():
        yield


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_from(client: FlaskClient, url: str = "/auth/login") -> str:
    """Fetch a page and return the CSRF token in its first form."""
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no csrf token on {url}"
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any],
    *,
    token_from: str | None = None,
    **kwargs: Any,
):
    """POST a form with a valid CSRF token taken from `token_from` (default: the same URL)."""
    token = csrf_from(client, token_from or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def login(client: FlaskClient, username: str = "owner", password: str = OWNER_PASSWORD):
    response = post_form(client, "/auth/login", {"login": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@dataclass
class Factory:
    """Makes rows directly through the ORM, fast, inside an app context."""

    app: Flask
    counter: int = 0
    made: list[Any] = field(default_factory=list)

    def user(
        self, username: str | None = None, role: Role = Role.AUTHOR, password: str = "password123"
    ) -> User:
        self.counter += 1
        username = username or f"author{self.counter}"
        with self.app.app_context():
            user = create_user(
                username=username, email=f"{username}@example.com", password=password, role=role
            )
            db.session.commit()
            return db.session.get(User, user.id)  # type: ignore[return-value]

    def owner(self) -> User:
        from sqlalchemy import select

        with self.app.app_context():
            return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()

    def category(self, name: str) -> Category:
        from myblog.services.taxonomy import create_category

        with self.app.app_context():
            return create_category(name)

    def posts(
        self,
        n: int,
        *,
        author_id: int | None = None,
        category_id: int | None = None,
        tags: list[str] | None = None,
        status: PostStatus = PostStatus.PUBLISHED,
        body: str = "Some **text** here.",
        start=None,
    ) -> list[int]:
        from myblog.services.taxonomy import get_or_create_tags

        with self.app.app_context():
            author_id = author_id or self.owner().id
            tag_objs: list[Tag] = get_or_create_tags(tags or [])
            html, excerpt = render_markdown(body), make_excerpt(body)
            base = start or utcnow() - timedelta(days=1)
            ids = []
            for _ in range(n):
                self.counter += 1
                when = base - timedelta(minutes=self.counter)
                post = Post(
                    title=f"Post number {self.counter}",
                    slug=f"post-{self.counter}",
                    body=body,
                    body_html=html,
                    excerpt=excerpt,
                    status=status,
                    published_at=None if status is PostStatus.DRAFT else when,
                    author_id=author_id,
                    category_id=category_id,
                    tags=list(tag_objs),
                )
                db.session.add(post)
                db.session.flush()
                ids.append(post.id)
            db.session.commit()
            return ids


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):
    """Context manager counting the SQL statements run inside it."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine

        def before(conn, cursor, statement, params, context, executemany):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
