"""A Redis that stops, or hangs, fails no visitor; the app goes back to it by itself.

Each test runs its own `redis-server` on a free port (stopped and started again by the test)
or its own socket that accepts connections and never answers: the machine's shared Redis is
never touched. The app is configured as production configures it with REDIS_URL: the cache
(`myblog.shared_storage.FallbackRedisCache`), the limiter's storage with the in-memory fallback,
and mail woken through RQ.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_support import wait_for
from redis_support import HungRedis, RedisServer
from sqlalchemy import func, select
from support import OWNER_PASSWORD, comment_form_values, csrf_from

from myblog.extensions import cache, db, limiter
from myblog.models import OutboxEmail, Post, PostStatus, Subscriber, User
from myblog.models.types import utcnow
from myblog.services import comments as comment_service
from myblog.shared_storage import FallbackRedisCache

pytestmark = [pytest.mark.redis, pytest.mark.faults]

# what a visitor may wait, at most, while Redis is down or hung (its timeout is 0.25 s)
REQUEST_BOUND_SECONDS = 1.5


@pytest.fixture(autouse=True)
def shared_limiter_state(monkeypatch) -> Iterator[None]:
    """The limiter is one object for every app of the process: leave it as it was found."""
    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 0)  # forms are sent at once
    yield
    limiter._storage_dead = False
    limiter._Limiter__check_backend_count = 0  # type: ignore[attr-defined]  # its backoff


@pytest.fixture
def make_redis_app(make_app, monkeypatch) -> Callable[[str], Flask]:
    """An app configured from REDIS_URL as production is: cache, limiter and mail in Redis."""

    def build(url: str, **overrides: Any) -> Flask:
        monkeypatch.setenv("REDIS_URL", url)
        settings = {
            "RATELIMIT_STORAGE_URI": url,  # the testing config keeps it in memory otherwise
            "MYBLOG_MAIL_SENDER": "rq",
            **overrides,
        }
        app = make_app(**settings)
        with app.app_context():
            slug = _publish_directly("Before the outage")
            db.session.add(Subscriber(email="reader@example.com", confirmed_at=utcnow()))
            db.session.commit()
        app.config["TEST_SLUG"] = slug
        return app

    return build


def _publish_directly(title: str) -> str:
    from myblog.services.posts import PostInput, save_post

    owner = db.session.scalars(select(User).where(User.username == "owner")).one()
    data = PostInput(title=title, body="Words.", status=PostStatus.PUBLISHED)
    return save_post(data, author=owner, now=utcnow()).slug


def fallback_cache(app: Flask) -> FallbackRedisCache:
    backend = app.extensions["cache"][cache]
    assert isinstance(backend, FallbackRedisCache)
    return backend


def mail_to(app: Flask, address: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.to == address)
        )


class Visitor:
    """Drives the app like a reader and its owner, timing every request."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.slowest = 0.0

    def timed(self, call: Callable[[], Any]) -> Any:
        started = time.monotonic()
        response = call()
        self.slowest = max(self.slowest, time.monotonic() - started)
        return response

    def get(self, path: str) -> int:
        return self.timed(lambda: self.client.get(path)).status_code

    def post(self, path: str, data: dict[str, str], token_from: str | None = None) -> Any:
        token = self.timed(lambda: csrf_from(self.client, token_from or path))
        return self.timed(lambda: self.client.post(path, data={"csrf_token": token, **data}))

    def comment(self, slug: str, body: str) -> Any:
        page = self.timed(lambda: self.client.get(f"/post/{slug}")).get_data(as_text=True)
        data = {**self.timed(lambda: comment_form_values(self.client, page)), "body": body}
        data.update(parent_id="", nickname="", name="Guest", email="guest@example.com")
        return self.timed(lambda: self.client.post(f"/post/{slug}/comments", data=data))

    def everything(self, tag: str) -> list[int]:
        """Pages, sign-in, a comment, a subscription and a published post; their status codes."""
        slug = self.app.config["TEST_SLUG"]
        codes = [self.get(path) for path in ("/", "/api/health", f"/post/{slug}", "/archive")]
        codes.append(self.comment(slug, f"Still here ({tag}).").status_code)
        codes.append(self.post("/subscribe", {"email": f"new-{tag}@example.com"}).status_code)
        login = {"login": "owner", "password": OWNER_PASSWORD}
        codes.append(self.post("/auth/login", login).status_code)
        editor = {"title": f"Written {tag}", "slug": "", "body": "Text.", "category_id": "0"}
        editor.update(tags="", status="published", published_at="", allow_comments="y")
        codes.append(self.post("/admin/posts/new", editor).status_code)
        codes.append(self.post("/auth/logout", {}, token_from="/admin/").status_code)
        return codes


def warnings_from(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> int:
    return sum(1 for r in caplog.records if r.name == logger and text in r.getMessage())


def test_redis_stopping_fails_no_visitor_and_the_app_goes_back_to_it(
    make_redis_app, redis_server: RedisServer, caplog
):
    caplog.set_level(logging.INFO, logger="flask-limiter")
    limits = {"MYBLOG_SUBSCRIBE_LIMIT": "3 per hour", "MYBLOG_COMMENT_LIMIT": "3 per hour"}
    app = make_redis_app(redis_server.url, **limits)
    fallback_cache(app).retry_seconds = 0.5
    visitor = Visitor(app)
    assert all(code < 400 for code in visitor.everything("before")), "Redis up"
    assert redis_server.keys("*myblog:site"), "the cache is in Redis"
    assert redis_server.keys("LIMITS:LIMITER/*"), "the limits are counted in Redis"

    redis_server.stop()
    for round_ in range(3):  # a good many requests, each of them slower to fail than the last
        codes = visitor.everything(f"down{round_}")
        assert all(code < 400 for code in codes), codes
    assert visitor.slowest < REQUEST_BOUND_SECONDS, f"slowest request {visitor.slowest:.2f} s"
    assert fallback_cache(app).is_down
    assert mail_to(app, "new-down2@example.com") == 1, "subscribing queued its mail"
    assert mail_to(app, "reader@example.com") == 4, "each publish queued its announcement"
    assert mail_to(app, "owner@example.com") == 4, "each comment queued its author's notice"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post)) == 5
    # the limits still hold, per process: a fourth subscription or comment in the hour is refused
    refused = visitor.post("/subscribe", {"email": "one-more@example.com"})
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    refused = visitor.comment(app.config["TEST_SLUG"], "Words worth keeping.")
    assert refused.status_code == 429
    assert "Words worth keeping." in refused.get_data(as_text=True), "the comment is kept"
    # one warning each for the whole outage, not one per request
    assert warnings_from(caplog, "myblog.shared_storage", "Redis unreachable") == 1
    assert warnings_from(caplog, "flask-limiter", "falling back to in-memory") == 1

    redis_server.start()  # empty: it kept nothing
    wait_for(
        lambda: visitor.get("/") == 200 and bool(redis_server.keys("*myblog:site")),
        40,
        "the cache to write to Redis again",
    )
    assert not fallback_cache(app).is_down
    assert warnings_from(caplog, "myblog.shared_storage", "the cache is back in it") == 1
    login = {"login": "owner", "password": "wrong-guess"}
    wait_for(
        lambda: (
            visitor.post("/auth/login", login).status_code == 401
            and bool(redis_server.keys("LIMITS:LIMITER/*/auth.login/*"))
        ),
        40,
        "the login limit to be counted in Redis again",
    )
    assert warnings_from(caplog, "flask-limiter", "recovered") == 1


def test_a_hung_redis_costs_each_request_well_under_two_seconds(
    make_redis_app, hung_redis: HungRedis, caplog
):
    app = make_redis_app(hung_redis.url)
    visitor = Visitor(app)
    for round_ in range(2):
        codes = visitor.everything(f"hung{round_}")
        assert all(code < 400 for code in codes), codes
    assert visitor.slowest < REQUEST_BOUND_SECONDS, f"slowest request {visitor.slowest:.2f} s"
    assert mail_to(app, "new-hung1@example.com") == 1
    assert mail_to(app, "reader@example.com") == 2
    assert warnings_from(caplog, "myblog.shared_storage", "Redis unreachable") == 1
    assert warnings_from(caplog, "flask-limiter", "falling back to in-memory") == 1


def test_what_changed_during_an_outage_is_not_read_back_stale_from_redis(
    make_redis_app, redis_server: RedisServer
):
    """A Redis that hangs keeps its data: a key changed meanwhile must not come back old."""
    import signal

    app = make_redis_app(redis_server.url)
    backend = fallback_cache(app)
    backend.retry_seconds = 0.2
    assert redis_server.process is not None
    with app.app_context():
        cache.set("settings", "old")
        cache.set("other", "kept")
        redis_server.process.send_signal(signal.SIGSTOP)  # hung: connections wait unanswered
        try:
            cache.delete("settings")  # the owner's change, seen by this process only
            assert backend.is_down
            assert cache.get("settings") is None
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        wait_for(lambda: cache.get("other") == "kept", 10, "the cache to read Redis again")
        assert not backend.is_down
        assert cache.get("settings") is None, "the old value was deleted when Redis came back"
        assert redis_server.client.exists("flask_cache_other")
