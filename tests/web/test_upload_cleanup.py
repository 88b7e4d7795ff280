"""A file written for an upload whose database row never commits is removed again."""

import io

import pytest
from PIL import Image
from support import csrf_from, login

from myblog.extensions import db


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _upload(client):
    token = csrf_from(client, "/admin/posts/new")
    return client.post(
        "/admin/uploads",
        data={"image": (io.BytesIO(_png()), "red.png")},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def test_successful_upload_keeps_its_file(app, client, tmp_path):
    login(client)
    response = _upload(client)
    assert response.status_code == 201
    assert len(list((tmp_path / "uploads").iterdir())) == 1


def test_failed_commit_leaves_no_orphan_file(app, client, tmp_path, monkeypatch):
    login(client)

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        _upload(client)
    assert list((tmp_path / "uploads").iterdir()) == []
