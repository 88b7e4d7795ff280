"""Helpers shared by the tests: service checks, CSRF-aware form posts, row factories."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from myblog.extensions import db
from myblog.models import Post, PostStatus, Role, Tag, User
from myblog.models.types import utcnow
from myblog.services.accounts import create_user
from myblog.services.markdown import make_excerpt, render_markdown

REQUIRE_SERVICES = os.environ.get("MYBLOG_REQUIRE_SERVICES") == "1"
OWNER_PASSWORD = "correct horse battery"


REDIS_URL = os.environ.get("MYBLOG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def need_service(name: str, available: bool, why: str) -> None:
    """Skip when a service is missing locally; fail instead under MYBLOG_REQUIRE_SERVICES=1."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (MYBLOG_REQUIRE_SERVICES=1) but unavailable: {why}")
    pytest.skip(f"{name} unavailable: {why}")


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_from(client: FlaskClient, url: str = "/auth/login") -> str:
    """Fetch a page and return the CSRF token in its first form."""
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no csrf token on {url}"
    return match.group(1) or match.group(2)


def input_value(page: str, name: str) -> str:
    """The value of the form input with this name in an HTML page ('' when it has none)."""
    import html

    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no {name} input"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def comment_form_values(client: Any, page: str) -> dict[str, str]:
    """The comment form's CSRF token and "served at" stamp, fetched as comments.js fetches them
    (a public page is the same bytes for every reader: it carries neither)."""
    url = re.search(r'data-token-url="([^"]*)"', page)
    assert url, "no comment form token URL"
    values = client.get(html_unescape(url.group(1))).get_json()
    return {"csrf_token": values["csrf_token"], "started": values.get("started", "")}


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


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
        self,
        username: str | None = None,
        role: Role = Role.AUTHOR,
        password: str = "plum-kettle-42",
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

    def category(self, name: str) -> int:
        """Create a category and return its id (rows do not outlive the app context)."""
        from myblog.services.taxonomy import create_category

        with self.app.app_context():
            return create_category(name).id

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
        from myblog.services.search import index_post
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
                index_post(post)  # flushes; the post is searchable, as save_post leaves it
                ids.append(post.id)
            db.session.commit()
            return ids


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)
