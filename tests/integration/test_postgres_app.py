"""The blog on PostgreSQL: migrated schema, Chinese content, public pages, login, query counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, select
from support import OWNER_PASSWORD, Factory, login, post_form

from myblog.extensions import db
from myblog.models import Post, PostStatus, User
from myblog.queries.listings import archive_months
from myblog.services.accounts import AccountError, create_user, setup_blog
from myblog.services.posts import PostInput, save_post
from myblog.services.taxonomy import create_category

pytestmark = pytest.mark.postgres


def build_blog(make_pg_app, **overrides) -> Flask:
    app = make_pg_app(**overrides)
    with app.app_context():
        upgrade()
        setup_blog(
            title="中文博客", username="Owner", email="owner@example.com", password=OWNER_PASSWORD
        )
    return app


@pytest.fixture
def pg_app(make_pg_app) -> Flask:
    return build_blog(make_pg_app)


def write(app: Flask, title: str, **fields) -> Post:
    with app.app_context():
        owner = db.session.scalars(select(User)).one()
        post = save_post(PostInput(title=title, **fields), author=owner)
        # read what a detached object needs before the context (and session) ends
        _ = post.slug, post.tags, post.category
        return post


def test_public_pages_show_chinese_posts(pg_app):
    with pg_app.app_context():
        category_id = create_category("读书笔记").id
    post = write(
        pg_app,
        "你好，世界",
        body="# 第一章\n\n这是**正文**。",
        status=PostStatus.PUBLISHED,
        category_id=category_id,
        tags=["随笔", "Flask"],
    )
    draft = write(pg_app, "未完成的草稿", body="secret")
    assert post.slug == "ni-hao-shi-jie"
    client = pg_app.test_client()

    home = client.get("/").get_data(as_text=True)
    assert "你好，世界" in home and "未完成的草稿" not in home
    # tags come packed in the listing row (string_agg on PostgreSQL), ordered by name
    assert home.index("#Flask") < home.index("#随笔")

    page = client.get(f"/post/{post.slug}")
    assert page.status_code == 200
    assert "<strong>正文</strong>" in page.get_data(as_text=True)
    assert "#Flask" in page.get_data(as_text=True) and "#随笔" in page.get_data(as_text=True)
    assert client.get(f"/post/{draft.slug}").status_code == 404

    assert "你好，世界" in client.get(f"/category/{post.category.slug}").get_data(as_text=True)
    for tag in post.tags:
        response = client.get(f"/tag/{tag.slug}")
        assert response.status_code == 200
        assert "你好，世界" in response.get_data(as_text=True)

    payload = client.get("/api/posts").get_json()
    assert payload["next"] is None
    (item,) = payload["posts"]
    assert item["title"] == "你好，世界"
    assert item["category"] == "读书笔记"
    assert sorted(item["tags"]) == ["Flask", "随笔"]


def test_archive_groups_posts_by_month(pg_app):
    for title, when in [
        ("二月一", datetime(2024, 2, 1, 8, tzinfo=UTC)),
        ("二月二", datetime(2024, 2, 29, 12, tzinfo=UTC)),
        ("十二月", datetime(2023, 12, 31, 9, tzinfo=UTC)),
    ]:
        write(pg_app, title, body="x", status=PostStatus.PUBLISHED, published_at=when)
    client = pg_app.test_client()
    archive = client.get("/archive")
    assert archive.status_code == 200
    html = archive.get_data(as_text=True)
    assert "/archive/2024/2" in html and "/archive/2023/12" in html
    month = client.get("/archive/2024/2").get_data(as_text=True)
    assert "二月一" in month and "二月二" in month and "十二月" not in month


def test_archive_months_are_utc_months_whatever_the_session_time_zone(make_pg_app):
    # a server configured for Asia/Shanghai is common for a Chinese blog; the month pages
    # bucket by UTC, so the archive's counts must too
    app = build_blog(
        make_pg_app,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c timezone=Asia/Shanghai"}},
    )
    write(
        app,
        "月末深夜",
        body="x",
        status=PostStatus.PUBLISHED,
        published_at=datetime(2024, 3, 31, 23, 30, tzinfo=UTC),
    )
    with app.app_context():
        assert archive_months() == [(2024, 3, 1)]
    assert "月末深夜" in app.test_client().get("/archive/2024/3").get_data(as_text=True)


def test_login_is_case_insensitive(pg_app):
    client = pg_app.test_client()
    login(client, "owner", OWNER_PASSWORD)
    other = pg_app.test_client()
    login(other, "OWNER@Example.COM", OWNER_PASSWORD)
    wrong = post_form(pg_app.test_client(), "/auth/login", {"login": "OWNER", "password": "nope"})
    assert wrong.status_code == 401
    with pg_app.app_context(), pytest.raises(AccountError):
        create_user(username="oWnEr", email="other@example.com", password="plum-kettle-42")


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_home_page_query_count_does_not_grow_with_posts(pg_app):
    factory = Factory(pg_app)
    with pg_app.app_context():
        category_id = create_category("技术").id
    client = pg_app.test_client()
    counts = []
    for total in (10, 200):
        with pg_app.app_context():
            have = len(db.session.scalars(select(Post.id)).all())
        factory.posts(total - have, category_id=category_id, tags=["数据库", "postgres"])
        client.get("/")  # warm the site cache so both runs start alike
        with counting_queries(pg_app) as statements:
            response = client.get("/")
        html = response.get_data(as_text=True)
        assert html.count('href="/post/') == 10
        assert "#数据库" in html and "技术" in html
        counts.append(len(statements))
    assert counts[0] == counts[1]
