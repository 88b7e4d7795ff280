"""Restoring a backup's own items: uploads kept byte for byte after a check, terms with their
slugs, subscribers once; a broken backup said so."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Category, Subscriber, Upload
from myblog.services.porting.importer import run_import
from myblog.services.porting.items import SourceError
from myblog.services.porting.reading import read_file
from myblog.services.porting.report import Result
from myblog.services.uploads import UploadError, keep_image

NAME = "0123456789abcdef0123456789abcdef"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (5, 4), (10, 120, 200)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def backup(files: dict[str, object]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "myblog-export.json", json.dumps({"format": "myblog-export", "version": 1})
        )
        for name, content in files.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def results(report) -> dict[str, tuple[Result, str]]:
    return {o.item: (o.result, o.detail) for o in report.outcomes}


def test_an_uploaded_image_is_kept_byte_for_byte(tmp_path: Path):
    data = jpeg()
    stored = keep_image(data, filename=f"{NAME}.jpg", upload_dir=tmp_path, max_bytes=1 << 20)
    assert (tmp_path / f"{NAME}.jpg").read_bytes() == data  # not re-encoded
    assert (stored.content_type, stored.width, stored.height) == ("image/jpeg", 5, 4)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        (f"{NAME}.png", "does not hold the kind of image its name says"),
        ("../../evil.jpg", "is not the name of an uploaded image"),
        ("photo.jpg", "is not the name of an uploaded image"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path: Path, filename, message):
    with pytest.raises(UploadError, match=message):
        keep_image(jpeg(), filename=filename, upload_dir=tmp_path, max_bytes=1 << 20)
    assert list(tmp_path.iterdir()) == []


def test_a_backup_restores_uploads_terms_and_subscribers_once(ctx):
    files = {
        "uploads.json": [
            {"filename": f"{NAME}.jpg", "original_name": "sea.jpg", "uploader": "owner"},
            {"filename": "f" * 32 + ".png", "original_name": "lost.png", "uploader": "owner"},
        ],
        f"uploads/{NAME}.jpg": jpeg(),
        "categories.json": [{"name": "随笔", "slug": "essays"}],
        "subscribers.json": [
            {
                "email": "Reader@Example.com",
                "status": "confirmed",
                "confirmed_at": "2024-01-01T00:00:00Z",
            },
            {"email": "not an address", "status": "pending"},
        ],
    }
    report = run_import(read_file(backup(files), "b.zip"))
    assert results(report) == {
        "category 随笔": (Result.IMPORTED, "as “essays”"),
        "subscriber Reader@Example.com": (Result.IMPORTED, "confirmed"),
        "subscriber not an address": (Result.FAILED, "not an email address"),
        f"upload {NAME}.jpg": (Result.IMPORTED, ""),
        "upload " + "f" * 32 + ".png": (Result.FAILED, "its file is not in the backup"),
    }
    upload = db.session.scalars(select(Upload)).one()
    assert upload.original_name == "sea.jpg" and upload.uploader.username == "owner"
    folder = Path(current_app.config["MYBLOG_UPLOAD_DIR"])
    assert (folder / f"{NAME}.jpg").read_bytes() == jpeg()
    assert db.session.scalars(select(Category.slug)).one() == "essays"
    assert db.session.scalars(select(Subscriber.email)).one() == "reader@example.com"
    again = run_import(read_file(backup(files), "b.zip"))
    assert again.counts()[Result.IMPORTED] == 0
    assert results(again)["category 随笔"] == (Result.SKIPPED, "already here (as “essays”)")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"users.json": {"not": "a list"}}, "users.json is not a list of records"),
        ({"users.json": b"[{"}, "users.json cannot be read"),
        ({"subscribers.json": [{"email": "a@b.c", "created_at": "yesterday"}]}, "bad date"),
    ],
)
def test_a_broken_backup_is_refused_whole(ctx, files, message):
    with pytest.raises(SourceError, match=message):
        read_file(backup(files), "b.zip")
