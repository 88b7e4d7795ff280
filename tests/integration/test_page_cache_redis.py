"""The page cache scaled out: pages and the content version in Redis, shared by two nodes; and
with Redis unreachable, pages are rendered (never an error)."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select
from support import REDIS_URL

from myblog.config import FALLBACK_REDIS_CACHE
from myblog.extensions import db
from myblog.models import PostStatus, User
from myblog.services.posts import PostInput, save_post


def redis_settings(url: str) -> dict[str, object]:
    return {
        "MYBLOG_PAGE_CACHE": True,
        "REDIS_URL": url,
        "CACHE_TYPE": FALLBACK_REDIS_CACHE,
        "CACHE_REDIS_URL": url,
        "CACHE_OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        "CACHE_KEY_PREFIX": "pagecache-test:",
    }


def two_nodes(make_app, url: str) -> tuple[Flask, Flask]:
    writer = make_app(**redis_settings(url))
    reader = make_app(
        SQLALCHEMY_DATABASE_URI=writer.config["SQLALCHEMY_DATABASE_URI"],
        schema=False,
        **redis_settings(url),
    )
    return writer, reader


@pytest.mark.redis
def test_a_page_kept_by_one_node_is_served_by_the_other_until_a_write(
    make_app, redis_client, count_queries
):
    for key in redis_client.scan_iter("pagecache-test:*"):
        redis_client.delete(key)
    writer, reader = two_nodes(make_app, REDIS_URL)
    first = writer.test_client().get("/")
    assert first.status_code == 200
    entered: list[str] = []
    reader.before_request(lambda: entered.append("seen"))
    second = reader.test_client().get("/")
    assert second.data == first.data and entered == []  # kept by the writer, served from Redis

    with writer.app_context():
        owner = db.session.scalars(select(User).where(User.username == "owner")).one()
        data = PostInput(title="Seen everywhere", body="x", status=PostStatus.PUBLISHED)
        save_post(data, author=owner)
    published = time.monotonic()
    while "Seen everywhere" not in reader.test_client().get("/").get_data(as_text=True):
        assert time.monotonic() - published < 1.0, "the other node still serves the old page"
        time.sleep(0.05)


def test_with_redis_unreachable_pages_are_rendered(make_app):
    app = make_app(**redis_settings("redis://127.0.0.1:1/0"))
    entered: list[str] = []
    app.before_request(lambda: entered.append("seen"))
    client = app.test_client()
    pages = [client.get("/") for _ in range(3)]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert len(entered) == 3  # the cache stepped aside
    assert pages[0].headers["Cache-Control"].startswith("public")
