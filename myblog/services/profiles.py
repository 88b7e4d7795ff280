"""An author's public face: the name bylines show, a short bio and a website, an avatar."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from myblog.extensions import db
from myblog.models import Profile, User
from myblog.services.uploads import store_image

MAX_DISPLAY_NAME = 80
MAX_BIO = 500
AVATAR_SIDE = 256  # pixels: sharp at twice the largest size a page shows


class ProfileError(ValueError):
    """A user-facing reason why a profile change was refused."""


@dataclass(frozen=True)
class ProfileInput:
    """What the profile form submits."""

    display_name: str
    bio: str = ""
    website: str = ""


def _profile(user: User) -> Profile:
    if user.profile is None:
        user.profile = Profile()
    return user.profile


def update_profile(user: User, data: ProfileInput) -> Profile:
    """Save the name bylines show, the bio and the website; commits. Raises ProfileError."""
    name = " ".join(data.display_name.split())
    bio = data.bio.strip()
    website = data.website.strip()
    if not name or len(name) > MAX_DISPLAY_NAME:
        raise ProfileError(_("A display name has 1 to %(max)d characters.", max=MAX_DISPLAY_NAME))
    if len(bio) > MAX_BIO:
        raise ProfileError(_("A bio may be at most %(max)d characters.", max=MAX_BIO))
    if website and urlsplit(website).scheme not in ("http", "https"):
        raise ProfileError(_("A website starts with http:// or https://."))
    profile = _profile(user)
    profile.display_name, profile.bio, profile.website = name, bio or None, website or None
    db.session.commit()
    return profile


def _upload_dir() -> Path:
    return Path(current_app.config["MYBLOG_UPLOAD_DIR"])


def set_avatar(user: User, data: bytes | IO[bytes]) -> str:
    """Store a new avatar (checked and re-encoded like any upload, cut square) in place of the
    old one; commits and returns its file name. Raises UploadError for what is not an image."""
    stored = store_image(
        data,
        upload_dir=_upload_dir(),
        max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]),
        square=AVATAR_SIDE,
    )
    profile = _profile(user)
    old = profile.avatar
    try:
        profile.avatar = stored.filename
        db.session.commit()
    except BaseException:
        db.session.rollback()
        (_upload_dir() / stored.filename).unlink(missing_ok=True)
        raise
    _remove_file(old)
    return stored.filename


def remove_avatar(user: User) -> None:
    """Go back to no avatar; commits, then deletes the old file."""
    profile = _profile(user)
    old, profile.avatar = profile.avatar, None
    db.session.commit()
    _remove_file(old)


def _remove_file(filename: str | None) -> None:
    if filename:
        (_upload_dir() / filename).unlink(missing_ok=True)
