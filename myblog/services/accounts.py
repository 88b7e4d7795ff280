"""Accounts: first-run setup, creating users, checking credentials."""

from __future__ import annotations

from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Profile, Role, Site, User
from myblog.services.markdown import render_markdown
from myblog.services.site import forget_site

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A user-facing reason why an account could not be created or changed."""


def owner_exists() -> bool:
    """True once the first-run setup has created the owner."""
    return db.session.scalar(select(User.id).where(User.role == Role.OWNER).limit(1)) is not None


def create_user(
    *,
    username: str,
    email: str,
    password: str,
    role: Role = Role.AUTHOR,
    display_name: str | None = None,
) -> User:
    """Create a user with a hashed password and an empty profile (not committed)."""
    username = username.strip()
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    taken = db.session.scalar(
        select(func.count(User.id)).where(
            (func.lower(User.username) == username.lower()) | (User.email == email)
        )
    )
    if taken:
        raise AccountError("That username or email address is already in use.")
    user = User(username=username, email=email, role=role)
    user.set_password(password)
    user.profile = Profile(display_name=display_name or username)
    db.session.add(user)
    return user


def setup_blog(*, title: str, username: str, email: str, password: str) -> User:
    """Create the owner account and the blog's settings in one transaction (first run only)."""
    if owner_exists():
        raise AccountError("This blog has already been set up.")
    owner = create_user(username=username, email=email, password=password, role=Role.OWNER)
    title = title.strip()
    about = f"# About {title}\n\nThis blog is written by {owner.username}."
    db.session.add(Site(title=title, tagline="", about=about, about_html=render_markdown(about)))
    db.session.commit()
    forget_site()
    return owner


def authenticate(*, login: str, password: str) -> User | None:
    """Return the active user whose username or email and password match, else None."""
    login = login.strip()
    user: User | None = db.session.scalar(
        select(User).where(
            (func.lower(User.username) == login.lower()) | (User.email == login.lower())
        )
    )
    if user is None:
        # hash anyway so a missing account takes as long as a wrong password
        User(password_hash="").set_password(password)
        return None
    if not user.active or not user.check_password(password):
        return None
    return user
