"""The admin's Import & backup page: admins only, CSRF, size limits, the report, the download."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import csrf_from, login

from myblog.extensions import db
from myblog.models import Post, Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "porting"


def posts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id))) or 0


def send(client, data: bytes, name: str, *, dry_run: bool = False, token: str | None = None):
    form = {
        "csrf_token": token or csrf_from(client, "/admin/import"),
        "file": (io.BytesIO(data), name),
    }
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/admin/import", data=form, content_type="multipart/form-data")


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def hugo_zip() -> bytes:
    root = FIXTURES / "hugo"
    return zip_of(
        {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    )


@pytest.fixture
def admin(client):
    login(client)
    return client


def test_the_page_offers_the_import_form_and_the_backup(admin):
    html = admin.get("/admin/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    assert 'href="/admin/backup.zip"' in html and 'href="/admin/import"' in html  # menu link


def test_authors_may_neither_import_nor_download(app, client, factory):
    factory.user("writer", role=Role.AUTHOR)
    login(client, "writer", "plum-kettle-42")
    assert client.get("/admin/import").status_code == 403
    assert client.get("/admin/backup.zip").status_code == 403
    assert client.post("/admin/import", data={}).status_code == 403
    assert posts(app) == 0


def test_a_wordpress_export_is_imported_and_reported(app, admin):
    response = send(admin, (FIXTURES / "wordpress.xml").read_bytes(), "export.xml")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "WordPress export (WXR 1.2)" in html and "7 imported, 3 skipped, 0 failed." in html
    assert "in the WordPress trash" in html and "private in WordPress: imported as a draft" in html
    assert posts(app) == 6
    again = send(admin, (FIXTURES / "wordpress.xml").read_bytes(), "export.xml")
    assert "0 imported, 10 skipped, 0 failed." in again.get_data(as_text=True)
    assert posts(app) == 6


def test_a_zipped_hugo_site_and_a_dry_run(app, admin):
    dry = send(admin, hugo_zip(), "site.zip", dry_run=True)
    assert "Dry run, nothing was changed: 6 would import" in dry.get_data(as_text=True)
    assert posts(app) == 0
    done = send(admin, hugo_zip(), "site.zip")
    assert "6 imported, 1 skipped, 0 failed." in done.get_data(as_text=True)
    assert posts(app) == 6


def test_a_malicious_zip_has_its_bad_entries_refused(app, admin):
    bomb = zip_of(
        {
            "../../evil.md": b"# x",
            "/etc/cron.md": b"# x",
            "bomb.md": b"\0" * (3 << 20),
            "ok.md": b"# Fine\n",
        }
    )
    html = send(admin, bomb, "evil.zip").get_data(as_text=True)
    assert "its path leads out of the archive" in html and "its path is absolute" in html
    assert "a zip bomb?" in html and "1 imported, 0 skipped, 3 failed." in html
    assert posts(app) == 1


def test_a_zip_with_too_many_entries_is_refused_whole(make_app):
    app = make_app(MYBLOG_IMPORT_MAX_ENTRIES="5")
    client = app.test_client()
    login(client)
    response = send(client, zip_of({f"{i}.md": b"x" for i in range(6)}), "many.zip")
    assert response.status_code == 400
    assert "at most 5 are read (MYBLOG_IMPORT_MAX_ENTRIES)" in response.get_data(as_text=True)
    assert posts(app) == 0


def test_a_file_that_is_nothing_importable_is_refused(app, admin):
    response = send(admin, b"just some words", "notes.txt")
    assert response.status_code == 400
    assert "That is not something myblog can import" in response.get_data(as_text=True)


def test_the_import_has_its_own_size_limit_above_the_upload_limit(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1000, MYBLOG_IMPORT_MAX_UPLOAD_BYTES=200_000)
    client = app.test_client()
    login(client)
    zipped = zip_of({"big.md": ("# Big\n\n" + os.urandom(3000).hex()).encode()})
    assert 1000 < len(zipped) < 200_000  # larger than an image may be, smaller than an import
    assert send(client, zipped, "big.zip").status_code == 200
    assert posts(app) == 1
    huge = send(client, b"x" * 300_000, "huge.xml")
    assert huge.status_code == 413
    assert "The file is too large: the Import page takes 200,000 bytes." in huge.get_data(
        as_text=True
    )


def test_a_post_without_the_csrf_token_is_refused(app, admin):
    response = send(admin, (FIXTURES / "ghost.json").read_bytes(), "ghost.json", token="forged")
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert posts(app) == 0


def test_no_file_chosen(admin):
    response = admin.post(
        "/admin/import",
        data={"csrf_token": csrf_from(admin, "/admin/import")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose a file to import." in response.get_data(as_text=True)


def test_the_backup_download_is_streamed_uncached_and_restorable(app, admin, factory):
    factory.posts(3, tags=["python"])
    response = admin.get("/admin/backup.zip")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="myblog-backup-'
    )
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("myblog-export.json"))
        users = json.loads(archive.read("users.json"))
    assert names[0] == "myblog-export.json" and manifest["counts"]["posts"] == 3
    assert sorted(n for n in names if n.startswith("posts/")) == [
        "posts/post-1.md",
        "posts/post-2.md",
        "posts/post-3.md",
    ]
    assert all("password_hash" not in user for user in users)


def test_a_single_markdown_note_can_be_uploaded(app, admin):
    note = b"---\ntitle: One note\ntags: [a]\n---\nJust this.\n"
    html = send(admin, note, "note.md").get_data(as_text=True)
    assert "Markdown files" in html and "1 imported, 0 skipped, 0 failed." in html
    assert posts(app) == 1
