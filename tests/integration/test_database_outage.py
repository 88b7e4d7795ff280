"""The database goes away and comes back: every page, form and API call answers 503 with
Retry-After and no traceback, /api/health says what failed, and the same app serves again once
the database is back, without a restart.

PostgreSQL is reached through a TCP proxy (tests/tcp_proxy.py) that the test cuts, freezes and
restores: the shared server itself is never touched. SQLite's outages are a file that cannot
be opened (its volume not mounted yet) and a write lock held past busy_timeout.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from support import csrf_from, login
from tcp_proxy import TcpProxy
from test_postgres_app import build_blog, write

from myblog.database import unreachable
from myblog.extensions import cache, db
from myblog.models import PostStatus

pytestmark = pytest.mark.faults

RETRY_AFTER = 30
UNAVAILABLE = "The blog cannot reach its database just now"


def serve_like_production(app: Flask) -> Flask:
    """Exceptions handled as under gunicorn: an error inside an error handler reaches the
    server (the test client raises it) instead of Flask's 500 page."""
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def assert_unavailable(response, *, api: bool = False) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, (response.status_code, body[:300])
    # 30 s, or later when a rate limit on the route resets later (Flask-Limiter takes the max)
    assert int(response.headers["Retry-After"]) >= RETRY_AFTER
    assert "Traceback" not in body and "psycopg" not in body and "sqlite" not in body
    if api:
        error = response.get_json()["error"]
        assert error["code"] == 503 and error["message"].startswith(UNAVAILABLE)
    else:
        assert response.mimetype == "text/html"
        assert '<h1 class="display-5">503</h1>' in body and UNAVAILABLE in body


def health(client) -> tuple[int, dict]:
    response = client.get("/api/health")
    return response.status_code, response.get_json()


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


# -- PostgreSQL behind a proxy -----------------------------------------------------------------


@pytest.fixture
def pg(make_app, pg_url) -> SimpleNamespace:
    """A blog on PostgreSQL through a proxy, a signed-in owner and an anonymous reader."""
    url = make_url(pg_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        app = build_blog(
            lambda **settings: make_app(
                setup=False,
                schema=False,
                SQLALCHEMY_DATABASE_URI=proxied,
                MYBLOG_DATABASE_TIMEOUT=2,
                MYBLOG_HEALTH_TIMEOUT=1,
                **settings,
            )
        )
        serve_like_production(app)
        slug = write(app, "Still here", body="x", status=PostStatus.PUBLISHED).slug
        owner = app.test_client()
        login(owner, "owner")
        yield SimpleNamespace(
            app=app, proxy=proxy, owner=owner, reader=app.test_client(), slug=slug
        )
    finally:
        proxy.close()


def outage_requests(pg: SimpleNamespace) -> tuple[list, list]:
    """Pages, forms and API calls, with their CSRF tokens taken while the database was up."""
    owner, reader = pg.owner, pg.reader
    editor_token = csrf_from(owner, "/admin/posts/new")
    login_token = csrf_from(reader, "/auth/login")
    post = {"title": "Lost", "body": "x", "status": "draft", "category_id": "0", "tags": ""}
    return [
        ("anonymous home", lambda: reader.get("/")),
        ("anonymous post", lambda: reader.get(f"/post/{pg.slug}")),
        ("signed-in home", lambda: owner.get("/")),
        ("signed-in post", lambda: owner.get(f"/post/{pg.slug}")),
        ("dashboard", lambda: owner.get("/admin/")),
        (
            "new post form",
            lambda: owner.post("/admin/posts/new", data=post | {"csrf_token": editor_token}),
        ),
        (
            "login form",
            lambda: reader.post(
                "/auth/login", data={"csrf_token": login_token, "login": "owner", "password": "x"}
            ),
        ),
    ], [
        ("API list", lambda: reader.get("/api/posts")),
        (
            "API preview",
            lambda: owner.post(
                "/api/preview", json={"markdown": "*x*"}, headers={"X-CSRFToken": editor_token}
            ),
        ),
    ]


@pytest.mark.postgres
def test_a_postgres_outage_is_a_503_everywhere_and_service_resumes_without_restart(pg, caplog):
    pages, api = outage_requests(pg)
    for name, request in pages + api:
        assert request().status_code in (200, 302, 401), name  # all well before the outage

    pg.proxy.cut()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=pg.app.logger.name):
        for _name, request in pages:
            assert_unavailable(request())
        for _name, request in api:
            assert_unavailable(request(), api=True)
        with pg.app.app_context():
            cache.clear()  # the blog's settings are read from the database again
        assert_unavailable(pg.reader.get("/"))
        assert health(pg.reader) == (
            503,
            {
                "status": "unavailable",
                "failed": ["database"],
                "checks": {"database": "unavailable"},
            },
        )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no tracebacks"
    assert any("database unreachable" in r.getMessage() for r in caplog.records)

    pg.proxy.restore()
    assert health(pg.reader) == (200, {"status": "ok", "checks": {"database": "ok"}})
    for name, request in pages + api:
        assert request().status_code in (200, 302, 401), name
    assert pg.owner.get("/admin/").status_code == 200, "still signed in"


@pytest.mark.postgres
def test_a_signed_in_error_page_during_an_outage_renders_without_the_database(pg):
    pg.proxy.cut()
    # a 404 for a signed-in user: the menu needs the user, whose loader is a query
    response = pg.owner.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)
    # and a 405
    assert pg.owner.get("/auth/logout").status_code == 405
    pg.proxy.restore()
    page = pg.owner.get("/no/such/page").get_data(as_text=True)
    assert "Dashboard" in page, "with the database back, the menu is the signed-in one"


@pytest.mark.postgres
def test_health_is_bounded_when_postgres_hangs(pg):
    assert health(pg.reader)[0] == 200
    pg.proxy.freeze()  # connections stay open; no answer ever comes
    try:
        timings = []
        for _ in range(3):
            started = time.monotonic()
            code, body = health(pg.reader)
            timings.append(time.monotonic() - started)
            assert (code, body["failed"]) == (503, ["database"])
        # MYBLOG_HEALTH_TIMEOUT=1: each poll gives up after a second, and the probe still
        # waiting for its answer is joined, not doubled
        assert all(t < 2.5 for t in timings), timings
    finally:
        pg.proxy.thaw()
    assert wait_for(lambda: health(pg.reader)[0] == 200)


@pytest.mark.postgres
def test_postgres_errors_that_mean_unreachable_and_those_that_are_bugs(pg):
    def error_of(connection, sql: str, **params) -> DBAPIError:
        with pytest.raises(DBAPIError) as caught:
            connection.execute(text(sql), params)
        connection.rollback()
        return caught.value

    with pg.app.app_context(), db.engine.connect() as connection:
        assert not unreachable(error_of(connection, "SELECT * FROM no_such_table"))
        assert not unreachable(error_of(connection, "SELECT 1 / 0"))
        assert not unreachable(error_of(connection, "SELECT CAST(:n AS INTEGER)", n=2**40))
        # the server ends the connection, as a restart does
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert unreachable(error_of(connection, "SELECT 1"))
    pg.proxy.cut()
    with pg.app.app_context(), pytest.raises(DBAPIError) as refused:
        db.engine.connect()
    assert unreachable(refused.value)


# -- SQLite ------------------------------------------------------------------------------------


def test_a_sqlite_file_that_cannot_be_opened_is_a_503_until_it_can(
    make_app, tmp_path, database_templates
):
    path = tmp_path / "volume" / "blog.sqlite"  # the volume is not mounted yet
    app = serve_like_production(make_app(schema=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"))
    client = app.test_client()
    assert_unavailable(client.get("/"))
    assert_unavailable(client.get("/api/posts"), api=True)
    assert health(client)[0] == 503

    path.parent.mkdir()
    shutil.copyfile(database_templates[True], path)
    assert client.get("/").status_code == 200
    assert health(client) == (200, {"status": "ok", "checks": {"database": "ok"}})


def test_a_sqlite_write_lock_held_past_busy_timeout_is_a_503_then_writes_resume(make_app, tmp_path):
    app = serve_like_production(make_app())
    with app.app_context():
        engine = db.engine
        path = engine.url.database
    # a fifth of a second instead of five: the same error, sooner
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=200"))
    engine.dispose()
    owner = app.test_client()
    login(owner)
    token = csrf_from(owner, "/admin/posts/new")
    post = {
        "csrf_token": token,
        "title": "Later",
        "body": "x",
        "status": "draft",
        "category_id": "0",
    }

    other = sqlite3.connect(path, isolation_level=None)  # another process writing for long
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        assert_unavailable(owner.post("/admin/posts/new", data=post))
        assert time.monotonic() - started < 3, "busy_timeout, not longer"
        assert owner.get("/").status_code == 200, "readers are not blocked (WAL)"
        assert health(owner)[0] == 200, "the node can serve; this write waited on another"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert owner.post("/admin/posts/new", data=post).status_code == 302
