"""A visitor comments, the author approves it, it appears; the author's reply reaches the
visitor's inbox (a real SMTP server) because they asked for reply notifications."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_flows import OWNER, set_up_blog
from playwright.sync_api import expect

from myblog.services import comments as comment_service

POST_TITLE = "Comments welcome"


@pytest.fixture
def mail_server() -> Iterator[Any]:
    import socket

    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server, session, envelope) -> str:
            from email import message_from_bytes, policy

            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port  # type: ignore[attr-defined]
    yield sink
    controller.stop()


@pytest.fixture
def blog_server(tmp_path: Path, mail_server, monkeypatch) -> Iterator[tuple[str, Any]]:
    from werkzeug.serving import make_server

    from myblog import create_app
    from myblog.extensions import db

    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 0)
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'comments.sqlite'}",
            "MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_server.port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "blog@example.com",
            # the visitor reads cached pages, and the approved comment must still show
            "MYBLOG_PAGE_CACHE": True,
            "MYBLOG_PAGE_VERSION_FILE": str(tmp_path / "page-version"),
        },
    )
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        from myblog.live.hub import close_hub

        close_hub(app)  # the pages' live streams end, and the hub's thread with them
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def deliver(app) -> None:
    from myblog.delivery.smtp import send_email
    from myblog.services.outbox_delivery import run_once

    with app.app_context():
        run_once(send_email)


@pytest.mark.browser
def test_visitor_comments_author_approves_and_replies(
    blog_server, browser, page, console, mail_server
):
    base_url, app = blog_server
    set_up_blog(page, base_url)
    page.get_by_label("Title").fill(POST_TITLE)
    page.get_by_label("Body (Markdown)").fill("Tell me what you think.")
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"\(published\)", re.IGNORECASE))

    visitor = browser.new_context().new_page()
    visitor.goto(base_url + "/")
    visitor.get_by_role("link", name=POST_TITLE).click()
    assert visitor.context.cookies(base_url) == []  # reading sets no cookie
    visitor.get_by_label("Name").fill("Bob Reader")
    visitor.get_by_label("Email", exact=True).fill("bob@example.com")
    visitor.get_by_label("Comment", exact=True).fill("Great post, **thanks**!")
    visitor.get_by_label("Email me when someone replies to this comment").check()
    visitor.get_by_role("button", name="Post comment").click()
    notice = visitor.locator("#comment-notice")
    expect(notice).to_contain_text("once it is approved")
    expect(notice).to_be_in_viewport()  # where the reader was looking: by the form
    expect(notice).to_be_focused()  # so that a screen reader reads it out
    expect(visitor.get_by_role("alert")).to_have_count(0)  # nothing at the top of the page
    expect(visitor.locator(".comment")).to_have_count(0)

    page.goto(base_url + "/admin/comments")
    pending = page.locator("li", has_text="Great post")
    expect(pending).to_contain_text("Bob Reader")
    pending.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Approve: 1 comment.")

    visitor.reload()
    comment = visitor.locator(".comment", has_text="Great post")
    expect(comment.locator("strong", has_text="thanks")).to_be_visible()

    page.goto(visitor.url)
    page.locator(".comment", has_text="Great post").get_by_role("link", name="Reply").click()
    expect(page.locator(".reply-context")).to_contain_text("Replying to Bob Reader")
    page.get_by_label("Comment", exact=True).fill("Glad you liked it, Bob.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comment-notice")).to_contain_text("your comment is published")
    expect(page.locator("#comment-notice")).to_be_in_viewport()
    reply = page.locator(".comment-reply", has_text="Glad you liked it")
    expect(reply).to_contain_text("replying to Bob Reader")

    deliver(app)
    by_to = {str(m["To"]): m for m in mail_server.messages}
    notice = by_to["bob@example.com"]
    assert notice["Subject"] == f"{OWNER['username']} replied to your comment on “{POST_TITLE}”"
    text = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Glad you liked it, Bob." in text
    link = re.search(r"http://127\.0\.0\.1:\d+/post/[\w-]+#comment-\d+", text)
    assert link, text
    visitor.goto(link.group(0))
    visitor.reload()  # the link differs from the open page only by its #fragment
    expect(visitor.locator(".comment-reply", has_text="Glad you liked it")).to_be_visible()
    # the owner heard about Bob's comment, with a link to moderate it
    assert (
        "/admin/comments?status=pending"
        in by_to[OWNER["email"]].get_body(preferencelist=("plain",)).get_content()
    )
    assert console.unexpected() == []
