"""Live pages in Chromium: an approved comment appears on an open post page, the home page says
a post went live, the admin's badge counts new notifications, long polling takes over when
EventSource is missing or its stream stays silent, the editor previews over a WebSocket."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import CommentPolicy, Post, PostStatus, User
from myblog.models.types import utcnow
from myblog.services.accounts import setup_blog
from myblog.services.comments import CommentInput, Submission, submit_comment
from myblog.services.posts import PostInput, save_post

pytestmark = pytest.mark.browser
PASSWORD = "s3cret-browser-pass"
# a stream that says nothing for (2 × heartbeat + 5) s is given up for long polling
SILENT_LIMIT_MS = 12_000


@pytest.fixture
def blog(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    from werkzeug.serving import make_server

    from myblog import create_app
    from myblog.live.hub import close_hub

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}",
            "MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
            "MYBLOG_LOGIN_LIMIT": "1000 per minute",
            "MYBLOG_LIVE_HEARTBEAT_SECONDS": 0.5,
            "MYBLOG_LIVE_POLL_WAIT_SECONDS": 2,
        },
    )
    with app.app_context():
        db.create_all()
        setup_blog(title="Live Blog", username="alice", email="a@example.com", password=PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        close_hub(app)
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def owner(app) -> User:
    return db.session.scalars(select(User).where(User.username == "alice")).one()


def publish(app, title: str) -> str:
    with app.app_context():
        post = save_post(
            PostInput(title=title, body="Text.", status=PostStatus.PUBLISHED), author=owner(app)
        )
        return post.slug


def guest_comment(app, slug: str, body: str, policy=CommentPolicy.MODERATED) -> int:
    with app.app_context():
        post = db.session.scalars(select(Post).where(Post.slug == slug)).one()
        data = CommentInput(body=body, name="Bob Reader", email="bob@example.com")
        started = utcnow() - timedelta(minutes=1)
        submission = Submission(ip="192.0.2.1", started_at=started)
        return submit_comment(post, data, user=None, submission=submission, policy=policy).id


def log_in(page: Any, base: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/"))


def following(page: Any, mode: str = "stream") -> None:
    expect(page.locator("#live")).to_have_attribute("data-live-mode", mode)


def test_a_comment_approved_in_the_admin_appears_on_an_open_post_page(blog, browser, page, console):
    base, app = blog
    slug = publish(app, "Talk to me")
    guest_comment(app, slug, "Already here", policy=CommentPolicy.OPEN)
    waiting = guest_comment(app, slug, "Worth *waiting* for")

    reader = browser.new_context().new_page()
    reader.goto(f"{base}/post/{slug}")
    following(reader)
    expect(reader.locator("#comments-title")).to_have_text("1 comment")
    expect(reader.locator(".comment")).to_have_count(1)

    log_in(page, base)
    page.goto(base + "/admin/comments")
    page.locator("li", has_text="Worth").get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Approve: 1 comment.")

    arrived = reader.locator(f"#comment-{waiting}")
    expect(arrived.locator("em", has_text="waiting")).to_be_visible()
    expect(reader.locator("#comments-title")).to_have_text("2 comments")
    expect(arrived.get_by_role("link", name="Reply")).to_be_visible()  # the thread's own markup
    assert reader.locator(".comment").count() == 2  # no duplicate of the first one
    assert console.unexpected() == []


def test_the_home_page_says_a_post_went_live(blog, page, console):
    base, app = blog
    publish(app, "First post")
    page.goto(base + "/")
    following(page)
    publish(app, "Fresh from the oven")
    notice = page.locator(".live-notice")
    expect(notice).to_contain_text("Fresh from the oven")
    expect(notice.get_by_role("link", name="refresh")).to_be_visible()
    notice.get_by_role("link", name="refresh").click()
    expect(page.locator(".post-card").first).to_contain_text("Fresh from the oven")
    assert console.unexpected() == []


def test_the_admin_badge_counts_what_arrives(blog, page, console):
    base, app = blog
    slug = publish(app, "Moderate me")
    log_in(page, base)
    page.goto(base + "/admin/")
    following(page)
    badge = page.locator("#admin-nav .live-badge")
    expect(badge).to_be_hidden()
    guest_comment(app, slug, "Please approve")
    expect(badge).to_have_text("1")
    expect(page.locator(".live-toast")).to_contain_text("Bob Reader commented on “Moderate me”")
    guest_comment(app, slug, "And this one")
    expect(badge).to_have_text("2")
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.locator(".list-group-item")).to_have_count(2)
    expect(badge).to_be_hidden()  # seen
    assert console.unexpected() == []


def test_without_eventsource_the_page_polls_and_loses_nothing(blog, browser, console):
    base, app = blog
    slug = publish(app, "No EventSource here")
    context = browser.new_context()
    context.add_init_script("delete window.EventSource;")
    reader = context.new_page()
    reader.on("console", console.on_console)
    reader.goto(f"{base}/post/{slug}")
    following(reader, "poll")
    first = guest_comment(app, slug, "Polled one", policy=CommentPolicy.OPEN)
    second = guest_comment(app, slug, "Polled two", policy=CommentPolicy.OPEN)
    expect(reader.locator(f"#comment-{first}")).to_be_visible()
    expect(reader.locator(f"#comment-{second}")).to_be_visible()
    expect(reader.locator("#comments-title")).to_have_text("2 comments")
    context.close()
    assert console.unexpected() == []


def test_a_stream_that_stays_silent_gives_way_to_long_polling(blog, page, console):
    base, app = blog
    slug = publish(app, "Behind a buffering proxy")
    # a proxy that holds the stream: the request never gets an answer
    page.route(re.compile(r"/live/posts/\d+/events"), lambda route: None)
    page.goto(f"{base}/post/{slug}")
    expect(page.locator("#live")).to_have_attribute(
        "data-live-mode", "poll", timeout=SILENT_LIMIT_MS
    )
    arrived = guest_comment(app, slug, "Through the fallback", policy=CommentPolicy.OPEN)
    expect(page.locator(f"#comment-{arrived}")).to_be_visible()
    assert console.unexpected() == []


def test_the_editor_previews_over_a_websocket_and_falls_back_to_http(blog, browser, page, console):
    base, app = blog
    log_in(page, base)
    page.goto(base + "/admin/posts/new")
    page.get_by_label("Body (Markdown)").fill("# Over the socket")
    editor = page.locator(".editor")
    expect(page.locator("#preview h1")).to_contain_text("Over the socket")
    expect(editor).to_have_attribute("data-preview-via", "socket")

    context = browser.new_context()
    context.add_init_script("delete window.WebSocket;")
    other = context.new_page()
    log_in(other, base)
    other.goto(base + "/admin/posts/new")
    other.get_by_label("Body (Markdown)").fill("# Over HTTP")
    expect(other.locator("#preview h1")).to_contain_text("Over HTTP")
    expect(other.locator(".editor")).to_have_attribute("data-preview-via", "http")
    context.close()
    assert console.unexpected() == []


def test_after_a_server_restart_the_page_gets_what_it_missed(tmp_path, page, console):
    from werkzeug.serving import make_server

    from myblog import create_app
    from myblog.live.hub import close_hub

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restart.sqlite'}",
            "MYBLOG_LIVE_HEARTBEAT_SECONDS": 0.5,
        },
    )
    with app.app_context():
        db.create_all()
        setup_blog(title="Restarts", username="alice", email="a@example.com", password=PASSWORD)
    slug = publish(app, "Through a restart")

    def serve(port: int = 0) -> tuple[Any, threading.Thread]:
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return server, thread

    def stop(server: Any, thread: threading.Thread) -> None:
        close_hub(app)  # what gunicorn.conf.py does when a worker is told to stop
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    server, thread = serve()
    port = server.server_port
    console.expect(r"ERR_CONNECTION_REFUSED|Failed to load resource")  # while it is down
    try:
        page.goto(f"http://127.0.0.1:{port}/post/{slug}")
        following(page)
        before = guest_comment(app, slug, "Before the restart", policy=CommentPolicy.OPEN)
        expect(page.locator(f"#comment-{before}")).to_be_visible()
        stop(server, thread)
        missed = guest_comment(app, slug, "While it was down", policy=CommentPolicy.OPEN)
        server, thread = serve(port)
        expect(page.locator(f"#comment-{missed}")).to_be_visible(timeout=15_000)
        expect(page.locator("#comments-title")).to_have_text("2 comments")
        assert page.locator(f"#comment-{before}").count() == 1  # not twice
    finally:
        stop(server, thread)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert console.unexpected() == []
