"""Accounts for imported posts and comments: found by email or username, or created.

An account created by an import has a password no one knows (the hash is not a hash of
anything): its owner sets one with "Forgot your password?". A backup written with
--with-secrets brings the password hashes along instead.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Profile, Role, User
from myblog.services.porting.items import UserItem
from myblog.services.slugs import slugify

_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_USERNAME = 40


def unusable_password() -> str:
    """A password hash that no password matches (werkzeug refuses its format)."""
    return "!imported:" + secrets.token_hex(8)


def find_account(name_or_email: str) -> User | None:
    """The account with this email or username (either spelt in any case), if there is one."""
    value = name_or_email.strip().lower()
    if not value:
        return None
    return db.session.scalar(
        select(User)
        .where((func.lower(User.username) == value) | (func.lower(User.email) == value))
        .order_by(User.id)
        .limit(1)
    )


def match(item: UserItem) -> User | None:
    """The account that is this item's person: same email, or else same username."""
    return (find_account(item.email) if item.email else None) or find_account(item.username)


def free_username(wanted: str) -> str:
    """A username made of the allowed characters and not taken yet (name, name-2, …)."""
    base = _NOT_IN_NAMES.sub("-", wanted).strip("-.")[:MAX_USERNAME]
    if len(base) < 2:
        base = slugify(wanted, fallback="author")[:MAX_USERNAME]
    candidate, n = base, 2
    while find_account(candidate) is not None:
        suffix = f"-{n}"
        candidate, n = base[: MAX_USERNAME - len(suffix)] + suffix, n + 1
    return candidate


def owner() -> User | None:
    """The blog's owner (None before the first-run setup or a restore has made one)."""
    return db.session.scalar(select(User).where(User.role == Role.OWNER).limit(1))


def create_account(item: UserItem, *, now: datetime) -> tuple[User, list[str]]:
    """A new account for this item (flushed, not committed) and notes about what changed."""
    notes = []
    username = free_username(item.username or item.email.split("@", 1)[0])
    if username != item.username:
        notes.append(_("username “%(old)s” became “%(new)s”", old=item.username, new=username))
    email = item.email.strip().lower()
    if "@" not in email or len(email) > 254 or find_account(email) is not None:
        email = f"{username.lower()}@imported.invalid"
        notes.append(_("no usable email address: %(email)s stands in for it", email=email))
    role = item.role
    if role is Role.OWNER and owner() is not None:
        role = Role.ADMIN
        notes.append(_("this blog has its owner already: made an admin"))
    user = User(
        username=username,
        email=email,
        role=role,
        active=item.active,
        password_hash=item.password_hash or unusable_password(),
        created_at=item.created_at or now,
    )
    if not item.password_hash:
        notes.append(_("signs in after choosing a password with “Forgot your password?”"))
    user.profile = Profile(
        display_name=(item.display_name or username)[:80],
        bio=item.bio,
        website=(item.website or "")[:255] or None,
    )
    db.session.add(user)
    db.session.flush()
    return user, notes
