"""Helpers for tests that write posts through the posts service and read them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Post, PostStatus, Role, User
from myblog.services.accounts import create_user
from myblog.services.posts import PostInput, save_post

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)

HOUR = timedelta(hours=1)


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def new_user(username: str, role: Role = Role.AUTHOR) -> User:
    user = create_user(
        username=username, email=f"{username}@example.com", password="plum-kettle-42", role=role
    )
    db.session.commit()
    return user


def write(title: str = "A title", *, author: User | None = None, now=NOW, **fields) -> Post:
    fields.setdefault("body", "Some *text*.")
    return save_post(PostInput(title=title, **fields), author=author or owner(), now=now)


def publish_at(when: datetime, title: str = "Post", **fields) -> Post:
    return write(title, status=PostStatus.PUBLISHED, published_at=when, **fields)
