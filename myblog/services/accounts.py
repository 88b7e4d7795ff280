"""Accounts: first-run setup, creating users, checking credentials, passwords and sessions."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Profile, Role, Site, User
from myblog.models.user import new_session_token
from myblog.services.links import external_url
from myblog.services.markdown import render_markdown
from myblog.services.outbox import queue_mail
from myblog.services.passwords import password_problem
from myblog.services.site import forget_site, site_title
from myblog.services.tokens import TokenError, make_token, read_token, verifying_keys


class AccountError(ValueError):
    """A user-facing reason why an account could not be created or changed."""


def set_password(user: User, password: str) -> None:
    """Hash and store a password with the configured method (MYBLOG_PASSWORD_HASH)."""
    user.set_password(password, method=str(current_app.config["MYBLOG_PASSWORD_HASH"]))


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or on the common-password list (AccountError)."""
    if problem := password_problem(password):
        raise AccountError(problem)


def signed_in_user(login_id: str) -> User | None:
    """The user a session's login id ("<id>:<session token>", `User.get_id`) still signs in:
    None once that session ended (logout, a new password, "log out everywhere")."""
    uid, _, token = login_id.partition(":")
    if not (uid.isascii() and uid.isdigit()):
        return None
    user = db.session.get(User, int(uid))
    return (
        user if user is not None and user.is_active and user.session_token_matches(token) else None
    )


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of this user, on every device; commits."""
    user.session_token = new_session_token()
    db.session.commit()


def change_password(user: User, password: str) -> None:
    """Set a new password and end every session of this user, which must log in again; commits.

    The one way to change a known account's password (a reset link, a change-password page).
    """
    check_new_password(password)
    set_password(user, password)
    end_sessions(user)


def change_own_password(user: User, *, current: str, new: str) -> None:
    """A signed-in user's change of their own password, which asks for the current one; ends
    every session of the account; commits. Raises AccountError when `current` is wrong."""
    if not user.check_password(current):
        raise AccountError(_("The current password is not right."))
    change_password(user, new)


def _make_token(data: dict[str, Any], purpose: str) -> str:
    return make_token(data, purpose=purpose, secret=str(current_app.config["SECRET_KEY"]))


def _read_token(token: str, purpose: str, lifetime_setting: str) -> dict[str, Any]:
    """The token's data, if it was signed with SECRET_KEY (or a fallback key) within the
    `lifetime_setting` seconds."""
    return read_token(
        token,
        purpose=purpose,
        secret=verifying_keys(),
        max_age=int(current_app.config[lifetime_setting]),
    )


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
    check_new_password(password)
    taken = db.session.scalar(
        select(func.count(User.id)).where(
            (func.lower(User.username) == username.lower()) | (User.email == email)
        )
    )
    if taken:
        raise AccountError(_("That username or email address is already in use."))
    user = User(username=username, email=email, role=role)
    set_password(user, password)
    user.profile = Profile(display_name=display_name or username)
    db.session.add(user)
    return user


def add_user(*, username: str, email: str, password: str, role: Role = Role.AUTHOR) -> User:
    """Create a user with a hashed password and an empty profile; commits."""
    user = create_user(username=username, email=email, password=password, role=role)
    db.session.commit()
    return user


def all_users() -> Sequence[User]:
    """Every account, oldest first."""
    return db.session.scalars(select(User).order_by(User.id)).all()


def setup_blog(*, title: str, username: str, email: str, password: str) -> User:
    """Create the owner account and the blog's settings in one transaction (first run only)."""
    if owner_exists():
        raise AccountError(_("This blog has already been set up."))
    owner = create_user(username=username, email=email, password=password, role=Role.OWNER)
    title = title.strip()
    about = f"# About {title}\n\nThis blog is written by {owner.username}."
    db.session.add(Site(title=title, tagline="", about=about, about_html=render_markdown(about)))
    db.session.commit()
    forget_site()
    return owner


def _normal_login(login: str) -> str:
    # every spelling of a name that can sign in to the same account gives the same string
    return login.strip().lower()


def login_key(login: str) -> str:
    """What the per-account sign-in limit counts: a keyed hash of the name the attempt gave.

    Whether an account has that name plays no part (no query is made), so the limit answers
    alike for every name and reveals nothing; the rate-limit storage never holds the name.
    """
    digest = hmac.new(
        str(current_app.config["SECRET_KEY"]).encode(),
        _normal_login(login).encode(),
        hashlib.sha256,
    )
    return "login:" + digest.hexdigest()[:32]


def authenticate(*, login: str, password: str) -> User | None:
    """Return the active user whose username or email and password match, else None."""
    login = _normal_login(login)
    user: User | None = db.session.scalar(
        select(User).where((func.lower(User.username) == login) | (User.email == login))
    )
    if user is None:
        # hash anyway so a missing account takes as long as a wrong password
        set_password(User(password_hash=""), password)
        return None
    if not user.active or not user.check_password(password):
        return None
    if user.session_token is None:  # an account older than session tokens: no cookie works yet
        end_sessions(user)
    return user


RESET_PURPOSE = "password-reset"


def _reset_stamp(user: User) -> str:
    # part of the current hash: once the password changes, every earlier reset link is void
    return user.password_hash[-16:]


def request_password_reset(*, email: str) -> bool:
    """Queue a reset link to the account with this email, if there is one; commits.

    Returns whether a message was queued; callers must not tell the visitor, so that the form
    cannot be used to find out which addresses have accounts.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        return False
    token = _make_token({"uid": user.id, "stamp": _reset_stamp(user)}, RESET_PURPOSE)
    queue_mail(
        "reset_password",
        to=user.email,
        user=user,
        link=external_url("auth.reset_password", token=token),
        site_title=site_title(),
    )
    db.session.commit()
    return True


def reset_password(*, token: str, password: str) -> User:
    """Set a new password from a reset link; the link works once; commits."""
    data = _read_token(token, RESET_PURPOSE, "MYBLOG_RESET_TOKEN_SECONDS")
    user = db.session.get(User, data.get("uid", 0)) if isinstance(data.get("uid"), int) else None
    if user is None or not user.active or data.get("stamp") != _reset_stamp(user):
        raise TokenError(_("This link has already been used or is no longer valid."))
    change_password(user, password)
    return user


EMAIL_PURPOSE = "change-email"


def request_email_change(*, user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; the email changes only when it is opened."""
    new_email = new_email.strip().lower()
    if not user.check_password(password):
        raise AccountError(_("The password is not right."))
    if new_email == user.email:
        raise AccountError(_("That is already your address."))
    if db.session.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise AccountError(_("That address is already used by another account."))
    token = _make_token({"uid": user.id, "old": user.email, "new": new_email}, EMAIL_PURPOSE)
    queue_mail(
        "confirm_email",
        to=new_email,
        user=user,
        link=external_url("auth.confirm_email", token=token),
        site_title=site_title(),
        new_email=new_email,
    )
    db.session.commit()


def confirm_email_change(*, token: str) -> User:
    """Switch the account to the confirmed address; the link works once; commits."""
    data = _read_token(token, EMAIL_PURPOSE, "MYBLOG_EMAIL_TOKEN_SECONDS")
    user = db.session.get(User, data["uid"]) if isinstance(data.get("uid"), int) else None
    if user is None or data.get("old") != user.email or not isinstance(data.get("new"), str):
        raise TokenError(_("This link has already been used or is no longer valid."))
    if db.session.scalar(select(User.id).where(User.email == data["new"])) is not None:
        raise AccountError(_("That address is already used by another account."))
    user.email = data["new"]
    db.session.commit()
    return user


INVITE_PURPOSE = "invite"


def invite_author(*, email: str, role: Role, inviter: User) -> None:
    """Mail an invitation to create an account with the given role; commits."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(_("That address already has an account."))
    token = _make_token({"email": email, "role": role.value, "by": inviter.id}, INVITE_PURPOSE)
    queue_mail(
        "invite",
        to=email,
        inviter=inviter,
        link=external_url("auth.accept_invite", token=token),
        site_title=site_title(),
        role=role.value,
    )
    db.session.commit()


def read_invitation(token: str) -> tuple[str, Role]:
    """The invited address and role, if the invitation is genuine, fresh and still unused."""
    data = _read_token(token, INVITE_PURPOSE, "MYBLOG_INVITE_TOKEN_SECONDS")
    email, role = data.get("email"), data.get("role")
    if not isinstance(email, str) or role not in (Role.AUTHOR.value, Role.ADMIN.value):
        raise TokenError(_("This link is not valid."))
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise TokenError(_("This invitation has already been used."))
    return email, Role(role)


def accept_invitation(*, token: str, username: str, password: str) -> User:
    """Create the invited account; the invitation works once; commits."""
    email, role = read_invitation(token)
    return add_user(username=username, email=email, password=password, role=role)
