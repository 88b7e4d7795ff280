"""Helpers for the subscription tests: the blog's owner, its outbox, subscribers, posts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import OutboxEmail, Post, PostStatus, Role, Subscriber, User
from myblog.services.posts import PostInput, save_post

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BASE = "http://127.0.0.1:5000"  # MYBLOG_BASE_URL: links written outside a request


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def mails(to: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.to == to)
    return list(db.session.scalars(query))


def mail_count() -> int:
    return db.session.scalar(select(func.count(OutboxEmail.id))) or 0


def subscriber(email: str) -> Subscriber | None:
    query = select(Subscriber).where(Subscriber.email == email)
    return db.session.scalar(query.execution_options(populate_existing=True))


def link_in(email: OutboxEmail, path: str) -> str:
    """The token of the `path` link in a mail, checked to be in both parts."""
    match = re.search(re.escape(BASE + path) + r"([\w.-]+)", email.text_body)
    assert match, email.text_body
    assert match.group(0) in (email.html_body or "")
    return match.group(1)


def confirmed(*addresses: str) -> None:
    for address in addresses:
        db.session.add(Subscriber(email=address, confirmed_at=NOW, confirmation_sent_at=NOW))
    db.session.commit()


def publish(title: str = "Hello readers", *, now: datetime = NOW, **fields) -> Post:
    fields.setdefault("status", PostStatus.PUBLISHED)
    return save_post(
        PostInput(title=title, body="First *paragraph* of the post.", **fields),
        author=owner(),
        now=now,
    )
