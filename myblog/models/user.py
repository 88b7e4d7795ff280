"""Accounts: User and its one-to-one Profile."""

from __future__ import annotations

import enum
import hmac
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from myblog.extensions import db
from myblog.models.types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from myblog.models.post import Post


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AUTHOR = "author"


def new_session_token() -> str:
    """A fresh random value for `User.session_token`."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        str_enum(Role),
        default=Role.AUTHOR,
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # carried by every session and remember-me cookie of this user (see get_id); replacing it
    # ends them all. Nullable only for rows older than the column: no cookie matches NULL.
    session_token: Mapped[str | None] = mapped_column(String(64), default=new_session_token)
    # the newest live event (myblog.models.live) this writer has seen on the notifications page
    notifications_seen_id: Mapped[int] = mapped_column(default=0, server_default="0")

    # one-to-one: uselist is implied by the scalar Mapped[Profile] annotation
    profile: Mapped[Profile] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="joined", innerjoin=False
    )
    # one-to-many, unbounded: write-only so nobody loads every post by accident; a write-only
    # collection cannot be loaded on delete either, so posts.author_id's ON DELETE CASCADE does it
    posts: WriteOnlyMapped[Post] = relationship(back_populates="author", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role.value}>"

    def set_password(self, password: str, *, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: id and token."""
        return f"{self.id}:{self.session_token}"

    def session_token_matches(self, token: str) -> bool:
        """Whether a cookie's token is this user's current one (compared in constant time)."""
        current = self.session_token
        return current is not None and hmac.compare_digest(current.encode(), token.encode())

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    def can_edit(self, author_id: int) -> bool:
        """Owners and admins edit every post; authors only their own."""
        return self.is_admin or author_id == self.id

    @property
    def display_name(self) -> str:
        if self.profile is not None and self.profile.display_name:
            return self.profile.display_name
        return self.username


class Profile(db.Model):  # type: ignore[name-defined]
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    bio: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(255))
    # an image in the upload folder, cut square and re-encoded (services/profiles.py)
    avatar: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="profile")

    def __repr__(self) -> str:
        return f"<Profile of user {self.user_id} {self.display_name!r}>"
