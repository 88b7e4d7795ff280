"""The admin in Chinese and English: its pages, forms, their errors, flash messages and
notifications follow the reader's `lang` cookie.

The Chinese comes from `i18n/admin-zh_CN.po`, compiled here into a catalog of its own; the last
test reads the app's own compiled catalog, which holds the admin's messages once that file is
folded into it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from support import Factory, csrf_from, login, post_form

from myblog.extensions import babel, db
from myblog.live.payloads import sse_message
from myblog.models import CommentPolicy, Post, PostStatus, User
from myblog.models.types import utcnow
from myblog.services import events
from myblog.services.comments import CommentInput, Submission, submit_comment

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PO = ROOT / "i18n" / "admin-zh_CN.po"
if not ADMIN_PO.exists():  # folded into the main catalog
    ADMIN_PO = ROOT / "myblog" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
ADMIN_PAGES = [
    "/admin/",
    "/admin/posts",
    "/admin/posts/new",
    "/admin/comments",
    "/admin/notifications",
    "/admin/account",
    "/admin/categories",
    "/admin/tags",
    "/admin/users",
    "/admin/outbox",
    "/admin/subscribers",
    "/admin/settings",
    "/admin/import",
]


def chinese(message: str, context: str | None = None) -> str:
    """The admin catalog's translation of a message (the one form, for a plural)."""
    with ADMIN_PO.open("rb") as file:
        entry = read_po(file, locale="zh_CN").get(message, context)
    assert entry is not None and entry.string, message
    return entry.string if isinstance(entry.string, str) else entry.string[0]


@pytest.fixture
def zh_app(make_app, tmp_path) -> Iterator[Flask]:
    """An app whose zh_CN catalog is the admin's, compiled for this test."""
    # Flask-Babel looks a catalog up by Babel's full name of the locale, "zh_Hans_CN"
    folder = tmp_path / "translations" / str(Locale.parse("zh_CN")) / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with ADMIN_PO.open("rb") as po, (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, read_po(po, locale="zh_CN"))
    # Flask-Babel keeps loaded catalogs on the process-wide extension object, whichever app
    # loaded them: this app's must not come from, nor stay for, another test's app
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    with app.app_context():
        translations = babel.domain_instance.cache
    translations.clear()
    yield app
    translations.clear()


def _reader(app: Flask, lang: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("lang", lang)
    login(client)
    return client


@pytest.fixture
def zh(zh_app) -> FlaskClient:
    return _reader(zh_app, "zh_CN")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_every_admin_page_renders_in_either_language(app, url):
    english, chinese_reader = _reader(app, "en"), _reader(app, "zh_CN")
    page = english.get(url).get_data(as_text=True)
    assert "Dashboard" in page and "Admin menu" in page
    assert chinese_reader.get(url).status_code == 200


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_every_admin_page_speaks_chinese_with_the_cookie(zh, url):
    page = zh.get(url).get_data(as_text=True)
    assert chinese("Dashboard") in page and chinese("Admin menu") in page
    admin_part = page.split('id="admin-nav"', 1)[1]  # the header above is the public side's
    assert ">Dashboard<" not in admin_part and "Admin menu" not in page


def test_the_post_list_names_statuses_in_chinese(zh_app, zh):
    Factory(zh_app).posts(1, status=PostStatus.DRAFT)
    page = zh.get("/admin/posts?status=all").get_data(as_text=True)
    assert f'badge text-bg-secondary">{chinese("Draft")}<' in page
    assert f"{chinese('Published')} (0)" in page
    assert f">{chinese('New post')}</a>" in page


def test_form_labels_errors_and_flashes_speak_chinese(zh):
    refused = post_form(zh, "/admin/categories", {"name": ""})
    page = refused.get_data(as_text=True)
    assert chinese("New category") in page and chinese("Name", "term") in page
    assert "This field is required." not in page  # WTForms' own messages, in Chinese too
    post_form(zh, "/admin/categories", {"name": "读书"})
    again = post_form(zh, "/admin/categories", {"name": "读书"}).get_data(as_text=True)
    assert chinese("A category named “%(name)s” already exists.") % {"name": "读书"} in again
    done = post_form(zh, "/admin/categories", {"name": "笔记"}, follow_redirects=True)
    assert chinese("Category created.") in done.get_data(as_text=True)


def test_a_moderation_flash_counts_in_chinese(zh_app, zh):
    post_id = Factory(zh_app).posts(1)[0]
    with zh_app.app_context():
        post = db.session.get(Post, post_id)
        data = CommentInput(body="你好", name="读者", email="reader@example.net")
        submission = Submission(ip="198.51.100.4", started_at=utcnow() - timedelta(minutes=5))
        comment = submit_comment(
            post, data, user=None, submission=submission, policy=CommentPolicy.MODERATED
        )
        comment_id = comment.id
    answer = post_form(
        zh,
        "/admin/comments/moderate",
        {"action": "approve", "ids": str(comment_id), "status": "pending"},
        token_from="/admin/comments",
        follow_redirects=True,
    )
    page = answer.get_data(as_text=True)
    assert chinese("Approve: %(num)d comment.") % {"num": 1} in page


def _pending_comment(app: Flask) -> None:
    post_id = Factory(app).posts(1)[0]
    with app.app_context():
        post = db.session.get(Post, post_id)
        post.title = "长笔记"
        data = CommentInput(body="请审核", name="读者", email="reader@example.net")
        submission = Submission(ip="198.51.100.4", started_at=utcnow() - timedelta(minutes=5))
        submit_comment(post, data, user=None, submission=submission, policy=CommentPolicy.MODERATED)


def test_notifications_are_worded_in_each_readers_language(zh_app, zh):
    _pending_comment(zh_app)
    said = chinese("%(name)s commented on “%(title)s”: waiting for you")
    expected = said % {"name": "读者", "title": "长笔记"}
    assert expected in zh.get("/admin/notifications").get_data(as_text=True)
    english = _reader(zh_app, "en")
    poll = english.get("/live/notifications/poll?after=0").get_json()
    assert [e["data"]["text"] for e in poll["events"]] == [
        "读者 commented on “长笔记”: waiting for you"
    ]
    in_chinese = zh.get("/live/notifications/poll?after=0").get_json()
    assert [e["data"]["text"] for e in in_chinese["events"]] == [expected]


def test_a_streamed_notice_is_built_once_per_language(zh_app):
    _pending_comment(zh_app)
    with zh_app.app_context():
        event = events.notifications(db.session.get(User, Factory(zh_app).owner().id))[0]
    texts = {}
    for lang in ("en", "zh_CN", "en"):
        with zh_app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            texts.setdefault(lang, set()).add(sse_message(event))
    assert "waiting for you" in next(iter(texts["en"]))
    assert chinese("%(name)s commented on “%(title)s”: waiting for you").split("%")[0] in next(
        iter(texts["zh_CN"])
    )
    assert len(texts["en"]) == 1 and texts["en"] != texts["zh_CN"]


def test_the_apps_own_catalog_speaks_the_admins_chinese(app):
    with app.test_request_context("/", headers={"Cookie": "lang=zh_CN"}):
        from flask_babel import gettext

        if gettext("Admin menu") == "Admin menu":
            pytest.skip(
                "the app's compiled zh_CN catalog does not hold the admin's messages yet: "
                "i18n/admin-zh_CN.po is folded into myblog/translations/ when merged"
            )
    page = _reader(app, "zh_CN").get("/admin/").get_data(as_text=True)
    assert chinese("Admin menu") in page and chinese("Dashboard") in page


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_import_report_speaks_chinese(zh):
    upload = _zip({"notes/one.md": "# 读书\n\n一段笔记。".encode(), "../evil.md": b"# x"})
    answer = zh.post(
        "/admin/import",
        data={
            "csrf_token": csrf_from(zh, "/admin/import"),
            "file": (io.BytesIO(upload), "notes.zip"),
            "dry_run": "y",
        },
        content_type="multipart/form-data",
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert chinese("What the import would do") in page
    assert f'<p class="mb-1">{chinese("Markdown files")}</p>' in page  # what the source is
    summary = chinese(
        "Dry run, nothing was changed: %(done)d would import, %(skipped)d skipped, "
        "%(failed)d failed."
    )
    assert summary % {"done": 1, "skipped": 0, "failed": 1} in page
    assert chinese("its path leads out of the archive (..)") in page
    assert f">{chinese('would import')}<" in page and f">{chinese('failed')}<" in page


def test_the_editor_script_gets_its_words_from_the_page(zh):
    page = zh.get("/admin/posts/new").get_data(as_text=True)
    for key, message in (
        ("uploading", "Uploading…"),
        ("inserted", "Inserted."),
        ("upload-failed", "Upload failed."),
        ("preview-unavailable", "Preview unavailable."),
        ("saving", "Saving…"),
    ):
        assert f'data-msg-{key}="{chinese(message)}"' in page
