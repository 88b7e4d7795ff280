"""Visitors never notice SMTP trouble: comments and a publish to 200 subscribers all succeed,
and once the server takes mail again every message arrives exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import comment_form_values, login, post_form
from test_smtp_delivery import Collector, SMTPServer, free_port, run_until_idle

from myblog.delivery.smtp import send_email
from myblog.extensions import db
from myblog.models import Comment, OutboxEmail, OutboxStatus, Subscriber
from myblog.models.types import utcnow
from myblog.services import comments as comment_service
from myblog.services.outbox_delivery import run_once

pytestmark = pytest.mark.faults

SUBSCRIBERS = 200
COMMENTS = 50


@pytest.fixture
def smtp():
    server = SMTPServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def blog(make_app, smtp: SMTPServer, monkeypatch):
    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 0)
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="Test Blog <blog@example.com>",
        MYBLOG_COMMENT_LIMIT="1000 per minute",
    )
    with app.app_context():
        now = utcnow()
        db.session.add_all(
            Subscriber(email=f"reader{i}@example.com", confirmed_at=now) for i in range(SUBSCRIBERS)
        )
        db.session.commit()
    return app


def _publish_and_comment(app) -> str:
    """The owner publishes a post, then 50 visitors comment on it; every request succeeds."""
    owner = app.test_client()
    login(owner)
    response = post_form(
        owner,
        "/admin/posts/new",
        {
            "title": "Hello readers",
            "slug": "hello",
            "body": "Some *news*.",
            "category_id": "0",
            "tags": "",
            "status": "published",
            "published_at": "",
            "allow_comments": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    for i in range(COMMENTS):
        visitor = app.test_client()
        page = visitor.get("/post/hello").get_data(as_text=True)
        response = visitor.post(
            "/post/hello/comments",
            data={
                **comment_form_values(visitor, page),
                "name": f"Visitor {i}",
                "email": f"visitor{i}@example.com",
                "body": f"Comment number {i}",
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    return "hello"


def _expected_mail(app) -> Counter[str]:
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == COMMENTS
        return Counter(db.session.scalars(select(OutboxEmail.message_id)))


def test_smtp_down_then_up_delivers_everything_exactly_once(blog, smtp):
    _publish_and_comment(blog)
    expected = _expected_mail(blog)
    assert len(expected) == SUBSCRIBERS + COMMENTS  # one per subscriber, one per comment

    with blog.app_context():
        later = utcnow() + timedelta(seconds=1)
        report = run_once(send_email, now=later, limit=1000)  # nobody listens on the port yet
        assert report.sent == [] and len(report.retrying) == len(expected)
        collector = smtp.start(Collector())
        run_until_idle(later + timedelta(minutes=1))
        statuses = Counter(db.session.scalars(select(OutboxEmail.status)))
    assert statuses == Counter({OutboxStatus.SENT: len(expected)})
    assert collector.message_ids() == expected  # no loss, no duplicates
    recipients = Counter(r for _, rcpts in collector.envelopes for r in rcpts)
    assert recipients["owner@example.com"] == COMMENTS
    assert all(recipients[f"reader{i}@example.com"] == 1 for i in range(SUBSCRIBERS))
    post_mail = next(m for m in collector.messages if m["To"] == "reader7@example.com")
    assert post_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in post_mail["List-Unsubscribe"]


def test_temporary_4xx_refusals_deliver_everything_exactly_once(blog, smtp):
    collector = smtp.start(Collector(refuse=60))
    _publish_and_comment(blog)
    expected = _expected_mail(blog)
    with blog.app_context():
        later = utcnow() + timedelta(seconds=1)
        first = run_once(send_email, now=later, limit=1000)
        assert len(first.retrying) == 60
        run_until_idle(later + timedelta(minutes=1))
        statuses = Counter(db.session.scalars(select(OutboxEmail.status)))
    assert statuses == Counter({OutboxStatus.SENT: len(expected)})
    assert collector.refused == 60
    assert collector.message_ids() == expected
