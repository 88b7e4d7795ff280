"""Request tests for image uploads from the editor and serving them back."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from support import csrf_from, login

from myblog.extensions import db
from myblog.models import Upload

STORED_URL = re.compile(r"^/uploads/[0-9a-f]{32}\.png$")
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def png_bytes(size: tuple[int, int] = (12, 8), *, noise: bool = False) -> bytes:
    if noise:  # incompressible, so the file is about 3 bytes per pixel
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, content: bytes | None, filename: str = "photo.png", **kwargs):
    # the editor page gives a logged-in client its token; the login page, an anonymous one
    token = csrf_from(client, kwargs.pop("token_from", "/admin/posts/new"))
    data = {} if content is None else {"image": (io.BytesIO(content), filename)}
    if "alt" in kwargs:
        data["alt"] = kwargs.pop("alt")
    return client.post(
        "/admin/uploads",
        data=data,
        headers={"X-CSRFToken": token, **kwargs.pop("headers", {})},
        content_type="multipart/form-data",
        **kwargs,
    )


def stored_files(app) -> list[Path]:
    folder = Path(app.config["MYBLOG_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def editor(client):
    login(client)
    return client


def json_error(response, code: int) -> str:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]["code"] == code
    return body["error"]["message"]


def test_anonymous_uploads_go_to_the_login_page(client, app):
    response = upload(client, png_bytes(), token_from="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert stored_files(app) == []


def test_the_writers_alt_text_goes_into_the_markdown_escaped(editor):
    response = upload(editor, png_bytes(), alt="  The [old] harbour\n at dawn ")
    data = response.get_json()
    assert data["markdown"] == f"![The \\[old\\] harbour at dawn]({data['url']})"


def test_a_png_is_stored_and_served_back_safely(editor, app):
    response = upload(editor, png_bytes((12, 8)), filename="My Photo.png")
    assert response.status_code == 201
    data = response.get_json()
    assert STORED_URL.match(data["url"])
    # the alt text is what the writer wrote when the editor asked, never the file's name
    assert data["markdown"] == f"![]({data['url']})"
    assert (data["width"], data["height"]) == (12, 8)
    with app.app_context():
        row = db.session.scalars(select(Upload)).one()
        assert data["url"].endswith(row.filename)
        assert (row.original_name, row.content_type) == ("My_Photo.png", "image/png")
    with app.test_client().get(data["url"]) as served:  # closes the file it streams
        assert served.status_code == 200
        assert served.mimetype == "image/png"
        assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        content = served.data
    with Image.open(io.BytesIO(content)) as image:
        assert (image.format, image.size) == ("PNG", (12, 8))


def test_an_svg_is_refused_with_a_message(editor, app):
    message = json_error(upload(editor, SVG, filename="logo.svg"), 400)
    assert "not a supported image" in message
    assert stored_files(app) == []


def test_a_text_file_named_png_is_refused(editor, app):
    message = json_error(upload(editor, b"just some words\n" * 10, filename="notes.png"), 400)
    assert "not a supported image" in message
    assert stored_files(app) == []


@pytest.mark.parametrize("content", [None, b"x"])
def test_a_missing_file_is_refused(editor, content):
    filename = "" if content else "photo.png"
    message = json_error(upload(editor, content, filename=filename), 400)
    assert "Choose an image" in message


def test_an_upload_without_the_csrf_header_is_refused(editor, app):
    response = editor.post(
        "/admin/uploads",
        data={"image": (io.BytesIO(png_bytes()), "photo.png")},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert "CSRF" in json_error(response, 400)
    assert stored_files(app) == []


def test_a_too_large_upload_is_413_json(make_app):
    app = make_app(MAX_CONTENT_LENGTH=50_000)
    client = app.test_client()
    login(client)
    big = png_bytes((200, 200), noise=True)
    assert len(big) > 50_000
    response = upload(client, big, headers={"Accept": "application/json"})
    assert "too large" in json_error(response, 413)
    html = upload(client, big)
    assert html.status_code == 413 and html.mimetype == "text/html"
    assert stored_files(app) == []
    assert upload(client, png_bytes()).status_code == 201  # small ones still pass


@pytest.mark.parametrize(
    "path", ["/uploads/../secret", "/uploads/..%2fsecret", "/uploads/%2e%2e/secret"]
)
def test_uploads_cannot_reach_outside_their_folder(client, app, path):
    folder = Path(app.config["MYBLOG_UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder.parent / "secret").write_text("top secret")
    response = client.get(path)
    assert response.status_code == 404
    assert b"top secret" not in response.data
