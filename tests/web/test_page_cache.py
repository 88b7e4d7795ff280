"""The page cache seen from outside: hits, what is never cached, ETag and 304, Cache-Control,
and pages that change as soon as the content does."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask, abort, make_response
from sqlalchemy import select
from support import login

from myblog.extensions import db
from myblog.models import Post, PostStatus, Subscriber, User
from myblog.models.types import utcnow
from myblog.services.posts import PostInput, save_post

PUBLIC = "public, max-age=0, s-maxage=1, must-revalidate"


@pytest.fixture
def app(make_app, tmp_path) -> Flask:
    app = make_app(MYBLOG_PAGE_CACHE=True, MYBLOG_PAGE_VERSION_FILE=str(tmp_path / "version"))

    @app.route("/boom")
    def boom():
        abort(500)

    @app.route("/cookie")
    def cookie():
        response = make_response("with a cookie")
        response.set_cookie("seen", "1")
        return response

    entered: list[str] = []
    app.before_request(lambda: entered.append("seen"))
    app.config["entered"] = entered  # how many requests reached Flask's hooks
    return app


def entered(app: Flask) -> int:
    return len(app.config["entered"])


@pytest.fixture
def slug(app, factory) -> str:
    factory.posts(3)
    with app.app_context():
        return db.session.scalars(select(Post.slug).order_by(Post.id)).first()


def publish(app: Flask, title: str, **fields) -> None:
    with app.app_context():
        owner = db.session.scalars(select(User).where(User.username == "owner")).one()
        data = PostInput(title=title, body="Fresh words.", status=PostStatus.PUBLISHED, **fields)
        save_post(data, author=owner)


@pytest.mark.parametrize("path", ["/", "/post/{slug}", "/category/none", "/archive", "/nope"])
def test_a_hit_runs_no_sql_and_never_reaches_flask(app, client, slug, count_queries, path):
    path = path.format(slug=slug)
    first = client.get(path)
    before = entered(app)
    with count_queries() as queries:
        second = client.get(path)
    assert len(queries) == 0 and entered(app) == before
    assert second.status_code == first.status_code in (200, 404)
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]


def test_two_anonymous_readers_get_the_same_bytes_even_uncached(make_app, factory, app, slug):
    uncached = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], schema=False)
    pages = [uncached.test_client().get(f"/post/{slug}") for _ in range(2)]
    time.sleep(1.1)  # a stamp signed in another second would differ
    pages.append(uncached.test_client().get(f"/post/{slug}"))
    assert 'id="comment-form"' in pages[0].get_data(as_text=True)
    assert pages[0].data == pages[1].data == pages[2].data
    assert len({page.headers["ETag"] for page in pages}) == 1


def test_publishing_changes_the_cached_home_page_at_once(app, client, slug):
    assert "Brand new" not in client.get("/").get_data(as_text=True)
    publish(app, "Brand new")
    assert "Brand new" in client.get("/").get_data(as_text=True)


def test_a_scheduled_post_shows_once_it_falls_due(app, client, slug):
    publish(app, "Soon", published_at=utcnow() + timedelta(seconds=1))
    assert "Soon" not in client.get("/").get_data(as_text=True)
    time.sleep(1.1)
    assert "Soon" in client.get("/").get_data(as_text=True)


def test_etag_and_304_for_cached_and_uncached_pages(make_app, app, client, slug):
    uncached = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], schema=False)
    for reader in (client, uncached.test_client()):
        page = reader.get(f"/post/{slug}")
        etag = page.headers["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert page.headers["Cache-Control"] == PUBLIC
        assert set(page.headers["Vary"].split(", ")) == {"Cookie", "Accept-Language"}
        again = reader.get(f"/post/{slug}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == PUBLIC
        other = reader.get(f"/post/{slug}", headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.data == page.data


def test_a_reader_with_a_session_gets_a_fresh_private_page(app, client, slug, count_queries):
    client.get("/")
    login(client)
    with count_queries() as queries:
        page = client.get("/")
    assert len(queries) > 0 and "Dashboard" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in page.headers


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/admin/"),
        ("GET", "/auth/login"),
        ("GET", "/api/posts"),
        ("GET", "/boom"),
        ("GET", "/cookie"),
        ("GET", "/subscribe"),
        ("GET", "/search?q=tea"),
        ("POST", "/theme/dark"),
    ],
)
def test_what_is_never_cached(app, client, slug, method, path):
    for _ in range(2):
        before = entered(app)
        client.open(path, method=method)
        assert entered(app) == before + 1


def test_a_get_that_changed_something_is_not_kept(app, client, slug, monkeypatch):
    from myblog.queries import listings

    listed = listings.public_posts

    def listing_that_writes(**kwargs):
        # as a confirmation link does: a change readers never see, made by a GET
        db.session.add(Subscriber(email=f"r{entered(app)}@example.com"))
        db.session.commit()
        return listed(**kwargs)

    monkeypatch.setattr(listings, "public_posts", listing_that_writes)
    for _ in range(2):
        before = entered(app)
        response = client.get("/")
        assert entered(app) == before + 1 and response.headers["Cache-Control"] == "no-store"


def test_the_theme_and_the_language_are_part_of_the_key(app, client, slug):
    light = client.get("/").data
    client.set_cookie("theme", "dark")
    dark = client.get("/").data
    assert light != dark and 'data-bs-theme="dark"' in dark.decode()
    before = entered(app)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    english = client.get("/", headers={"Accept-Language": "en-US"})
    assert entered(app) == before + 2 and chinese.data != english.data
    client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})  # English again: a hit
    client.get("/", headers={"Accept-Language": "zh-TW"})  # read as zh_CN: a hit
    assert entered(app) == before + 2


def test_a_comment_still_posts_from_a_cached_page(app, client, slug, monkeypatch):
    from support import input_value

    from myblog.services import comments as comment_service

    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 0)
    client.get(f"/post/{slug}")
    reader = app.test_client()
    page = reader.get(f"/post/{slug}").get_data(as_text=True)  # from the cache
    assert input_value(page, "started") == "" and input_value(page, "csrf_token") == ""
    with app.app_context():
        post_id = db.session.scalars(select(Post.id).where(Post.slug == slug)).one()
    values = reader.get(f"/api/csrf-token?post={post_id}").get_json()
    response = reader.post(
        f"/post/{slug}/comments",
        data={
            "csrf_token": values["csrf_token"],
            "started": values["started"],
            "name": "Reader",
            "email": "reader@example.com",
            "body": "Cached, and still listening.",
        },
    )
    assert response.status_code == 302
