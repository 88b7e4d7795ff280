"""`flask import` and `flask export`: the report and exit code, and the round trip: a blog
exported, imported into an empty database and exported again gives the same archive."""

from __future__ import annotations

import json
import zipfile

import pytest
from porting_support import FIXTURES, entries, fill_blog, run
from sqlalchemy import func, select
from writing import new_user, owner

from myblog.extensions import db
from myblog.models import Post, User
from myblog.services.site import get_site


def test_a_blog_exported_imported_into_an_empty_one_and_exported_again_is_the_same(
    app, make_app, tmp_path
):
    fill_blog(app)
    first = tmp_path / "first.zip"
    assert run(app, "export", str(first)).exit_code == 0
    empty = make_app(setup=False, MYBLOG_UPLOAD_DIR=str(tmp_path / "elsewhere"))
    restored = run(empty, "import", str(first))
    assert restored.exit_code == 0, restored.output
    assert "0 skipped, 0 failed." in restored.output
    second = tmp_path / "second.zip"
    assert run(empty, "export", str(second)).exit_code == 0
    before, after = entries(first), entries(second)
    assert sorted(before) == sorted(after)
    assert [name for name in before if before[name] != after[name]] == []
    assert first.read_bytes() == second.read_bytes()  # the zip itself, byte for byte
    manifest = json.loads(before["myblog-export.json"])
    assert manifest["counts"] == {
        "posts": 4,
        "comments": 3,
        "users": 2,
        "categories": 1,
        "tags": 2,
        "subscribers": 2,
        "uploads": 1,
    }
    assert "created" not in json.dumps(manifest)  # no date of its own: the same blog, the same zip


def test_the_archive_holds_what_a_person_can_read(app, tmp_path):
    fill_blog(app)
    assert run(app, "export", str(tmp_path / "out")).exit_code == 0  # a folder this time
    post = (tmp_path / "out" / "posts" / "du-shu-bi-ji.md").read_text()
    assert post.startswith("---\ntitle: 读书笔记\nslug: du-shu-bi-ji\nstatus: published\n")
    assert "categories:\n- 随笔\ntags:\n- Flask\n- python\nsummary: What I read.\n---\n\n" in post
    users = json.loads((tmp_path / "out" / "users.json").read_text())
    assert [u["username"] for u in users] == ["alice", "owner"]
    assert all("password_hash" not in u for u in users)
    comments = json.loads((tmp_path / "out" / "comments" / "du-shu-bi-ji.json").read_text())
    assert [(c["id"], c["parent"], c["author"]) for c in comments] == [
        (1, None, None),
        (2, 1, "alice"),
        (3, None, None),
    ]
    subscribers = json.loads((tmp_path / "out" / "subscribers.json").read_text())
    assert [(s["email"], s["status"]) for s in subscribers] == [
        ("maybe@example.com", "pending"),
        ("reader@example.com", "confirmed"),
    ]
    assert (tmp_path / "out" / "pages" / "about.md").read_text() == "# About\n\nWho writes here."


def test_passwords_travel_only_with_secrets(app, make_app, tmp_path):
    fill_blog(app)
    run(app, "export", "--with-secrets", str(tmp_path / "secret.zip"))
    run(app, "export", str(tmp_path / "plain.zip"))
    for name, can_sign_in in (("secret.zip", True), ("plain.zip", False)):
        blog = make_app(setup=False)
        assert run(blog, "import", str(tmp_path / name)).exit_code == 0
        with blog.app_context():
            alice = db.session.scalars(select(User).where(User.username == "alice")).one()
            assert alice.check_password("plum-kettle-42") is can_sign_in


def test_importing_a_backup_into_a_blog_with_posts_keeps_its_settings(app, tmp_path):
    fill_blog(app)
    run(app, "export", str(tmp_path / "b.zip"))
    again = run(app, "import", str(tmp_path / "b.zip"))
    assert again.exit_code == 0
    assert "skipped  settings and About page — this blog has posts already" in again.output
    assert "another post has the slug “du-shu-bi-ji” already" in again.output
    assert "0 imported" in again.output.splitlines()[-1]


def test_a_backup_of_a_newer_format_is_refused(app, tmp_path):
    with zipfile.ZipFile(tmp_path / "new.zip", "w") as archive:
        archive.writestr(
            "myblog-export.json", json.dumps({"format": "myblog-export", "version": 2})
        )
    result = run(app, "import", str(tmp_path / "new.zip"))
    assert result.exit_code == 1
    assert "format version 2; this myblog reads version 1 only" in result.output


def test_import_prints_a_line_per_item_and_fails_when_an_item_failed(app):
    result = run(app, "import", str(FIXTURES / "notes"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "Importing Markdown files" in lines[0]
    assert "      failed  binary.md — a binary file, not text" in lines
    assert "    imported  gbk-note.md — as “du-shu-bi-ji”" in lines
    assert "              · read as GB18030: the file is not UTF-8" in lines
    assert lines[-1] == "2 imported, 0 skipped, 2 failed."


def test_import_dry_run_changes_nothing(app):
    result = run(app, "import", "--dry-run", str(FIXTURES / "wordpress.xml"))
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].startswith("Dry run, nothing was changed: 7 would import")
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0


def test_import_with_an_author_and_refusals(app, tmp_path):
    assert (
        "There is no account “nobody”"
        in run(app, "import", "--author", "nobody", str(FIXTURES / "hugo")).output
    )
    (tmp_path / "x.txt").write_text("hello")
    refused = run(app, "import", str(tmp_path / "x.txt"))
    assert refused.exit_code == 1 and "That is not something myblog can import" in refused.output
    with app.app_context():
        new_user("writer")
    assert run(app, "import", "--author", "writer", str(FIXTURES / "jekyll")).exit_code == 0
    with app.app_context():
        assert {p.author.username for p in db.session.scalars(select(Post))} == {"writer"}


def test_export_refuses_a_folder_with_files_in_it(app, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    result = run(app, "export", str(tmp_path / "full"))
    assert result.exit_code == 1 and "not a new or empty folder" in result.output
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["hugo", "wordpress.xml"])
def test_exports_of_imported_blogs_are_deterministic(app, tmp_path, name):
    run(app, "import", str(FIXTURES / name))
    run(app, "export", str(tmp_path / "a.zip"))
    run(app, "export", str(tmp_path / "b.zip"))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with app.app_context():
        assert owner().username == "owner"


def test_a_backup_carries_the_default_language_and_time_zone(app, make_app, tmp_path):
    fill_blog(app)
    run(app, "export", str(tmp_path / "out"))
    blog = make_app(setup=False)
    assert run(blog, "import", str(tmp_path / "out")).exit_code == 0
    with blog.app_context():
        site = get_site()
        assert site is not None and (site.language, site.timezone) == ("zh_CN", "Asia/Shanghai")
    # a backup made before languages were locales and blogs had a zone
    settings = tmp_path / "out" / "site.json"
    old = json.loads(settings.read_text())
    old["language"] = "zh"
    del old["timezone"]
    settings.write_text(json.dumps(old))
    older = make_app(setup=False)
    assert run(older, "import", str(tmp_path / "out")).exit_code == 0
    with older.app_context():
        site = get_site()
        assert site is not None and (site.language, site.timezone) == ("zh_CN", "UTC")


def test_a_backup_carries_the_image_hosts_and_the_copying_default(app, make_app, tmp_path):
    from myblog.services.site import update_site

    with app.app_context():
        update_site(
            title="Test Blog",
            tagline="",
            about="",
            image_hosts=["i.imgur.com", "*.github.io"],
            copy_remote_images=True,
        )
    run(app, "export", str(tmp_path / "out"))
    blog = make_app(setup=False)
    assert run(blog, "import", str(tmp_path / "out")).exit_code == 0
    with blog.app_context():
        site = get_site()
        assert site is not None
        assert site.image_hosts == ("https://i.imgur.com", "https://*.github.io")
        assert site.copy_remote_images is True
    # an edited backup: what is not a host name is left out, the rest is kept
    settings = tmp_path / "out" / "site.json"
    edited = json.loads(settings.read_text())
    edited["image_hosts"] = ["'unsafe-inline'", "img.example.com", 42, "*"]
    edited["copy_remote_images"] = "yes"
    settings.write_text(json.dumps(edited))
    other = make_app(setup=False)
    assert run(other, "import", str(tmp_path / "out")).exit_code == 0
    with other.app_context():
        site = get_site()
        assert site is not None
        assert site.image_hosts == ("https://img.example.com",)
        assert site.copy_remote_images is False
