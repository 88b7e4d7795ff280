"""Profiles: the name bylines show, bio, website, and an avatar cut square and re-encoded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Role, User
from myblog.services.profiles import (
    AVATAR_SIDE,
    ProfileError,
    ProfileInput,
    remove_avatar,
    set_avatar,
    update_profile,
)
from myblog.services.uploads import UploadError


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def picture(width: int, height: int, kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buffer, format=kind)
    return buffer.getvalue()


def uploads() -> Path:
    return Path(current_app.config["MYBLOG_UPLOAD_DIR"])


def test_the_profile_is_saved_trimmed(ctx):
    profile = update_profile(
        owner(), ProfileInput("  Li   Hui ", "  Writes about Flask.  ", "https://example.com")
    )
    assert (profile.display_name, profile.bio, profile.website) == (
        "Li Hui",
        "Writes about Flask.",
        "https://example.com",
    )
    profile = update_profile(owner(), ProfileInput("Li Hui"))
    assert (profile.bio, profile.website) == (None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ProfileInput("   "), "1 to 80"),
        (ProfileInput("x" * 81), "1 to 80"),
        (ProfileInput("Li", bio="b" * 501), "at most 500"),
        (ProfileInput("Li", website="javascript:alert(1)"), "http"),
        (ProfileInput("Li", website="ftp://example.com"), "http"),
    ],
)
def test_a_bad_profile_is_refused_and_nothing_changes(ctx, data, message):
    before = owner().display_name
    with pytest.raises(ProfileError, match=message):
        update_profile(owner(), data)
    db.session.expire_all()
    assert owner().display_name == before


def test_an_avatar_is_cut_square_re_encoded_and_replaces_the_old_one(ctx):
    first = set_avatar(owner(), picture(400, 300))
    with Image.open(uploads() / first) as image:
        assert image.size == (AVATAR_SIDE, AVATAR_SIDE) and not image.info.get("exif")
    second = set_avatar(owner(), picture(100, 500, "PNG"))
    assert owner().profile.avatar == second
    assert not (uploads() / first).exists() and (uploads() / second).exists()
    remove_avatar(owner())
    assert owner().profile.avatar is None and not (uploads() / second).exists()


def test_what_is_not_an_image_is_refused_and_leaves_no_file(ctx):
    kept = set_avatar(owner(), picture(50, 50))
    with pytest.raises(UploadError):
        set_avatar(owner(), b"<svg onload=alert(1)></svg>")
    assert owner().profile.avatar == kept
    assert sorted(p.name for p in uploads().iterdir() if not p.name.startswith(".")) == [kept]
