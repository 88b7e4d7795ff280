"""Request tests for autosave (HTTP and WebSocket), the revisions page, restoring, the media
library and a category made from the editor."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from live_support import served
from PIL import Image
from simple_websocket import Client
from sqlalchemy import select
from support import csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import Category, Post, PostRevision, RevisionKind, Upload, User
from myblog.services.accounts import end_sessions

EDITOR = {
    "title": "A post",
    "slug": "",
    "body": "Some *Markdown*.",
    "category_id": "0",
    "tags": "",
    "status": "draft",
    "published_at": "",
    "allow_comments": "y",
}


def new_post(client, **fields) -> int:
    response = post_form(client, "/admin/posts/new", {**EDITOR, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/admin/posts/(\d+)/edit$", response.headers["Location"]).group(1))


def edit(client, post_id: int, **fields):
    url = f"/admin/posts/{post_id}/edit"
    response = post_form(client, url, {**EDITOR, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)


def autosave(client, payload, token=None):
    token = token if token is not None else csrf_from(client, "/admin/posts/new")
    return client.post("/api/autosave", json=payload, headers={"X-CSRFToken": token})


def revision_ids(app, post_id: int) -> list[int]:
    with app.app_context():
        query = select(PostRevision.id).where(PostRevision.post_id == post_id)
        return list(db.session.scalars(query.order_by(PostRevision.id)))


@pytest.fixture
def owner_client(client):
    login(client)
    return client


@pytest.fixture
def author_client(app, factory):
    factory.user("bob")
    other = app.test_client()
    login(other, "bob", "plum-kettle-42")
    return other


# -- autosave over HTTP -------------------------------------------------------------------------


def test_an_autosave_of_a_new_post_is_offered_back_when_the_editor_reopens(owner_client):
    response = autosave(owner_client, {"post_id": None, "title": "Half", "body": "<b>typed</b>"})
    assert response.status_code == 200
    assert response.get_json()["saved_at"]
    page = owner_client.get("/admin/posts/new").get_data(as_text=True)
    assert 'id="autosave-restore"' in page
    assert 'value="Half"' in page
    assert "&lt;b&gt;typed&lt;/b&gt;</textarea>" in page  # escaped inside the textarea


def test_an_autosave_never_changes_the_saved_post(app, owner_client):
    post_id = new_post(owner_client, body="saved")
    response = autosave(owner_client, {"post_id": post_id, "title": "A post", "body": "later"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Post, post_id).body == "saved"
    page = owner_client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    assert "later</textarea>" in page and 'id="autosave-restore"' in page
    edit(owner_client, post_id, body="saved again")  # a save supersedes the autosave
    page = owner_client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    assert 'id="autosave-restore"' not in page


def test_a_discarded_autosave_is_not_offered_again(owner_client):
    autosave(owner_client, {"post_id": None, "title": "Half", "body": "typed"})
    assert autosave(owner_client, {"post_id": None, "discard": True}).get_json()["discarded"]
    assert 'id="autosave-restore"' not in owner_client.get("/admin/posts/new").get_data(
        as_text=True
    )


def test_an_author_cannot_autosave_into_another_writers_post(owner_client, author_client):
    post_id = new_post(owner_client)
    response = autosave(author_client, {"post_id": post_id, "title": "Mine", "body": "now"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == 403
    missing = autosave(author_client, {"post_id": post_id + 99, "title": "x", "body": "y"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "payload",
    [[1, 2], {"title": "t"}, {"post_id": "7", "title": "t", "body": "b"}, {"post_id": True}],
)
def test_a_malformed_autosave_is_a_400(owner_client, payload):
    response = autosave(owner_client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_autosave_needs_the_csrf_token_of_a_signed_in_writer(app, owner_client):
    assert (
        autosave(owner_client, {"post_id": None, "title": "t", "body": "b"}, token="x").status_code
        == 400
    )
    anonymous = app.test_client()
    token = csrf_from(anonymous)
    response = autosave(anonymous, {"post_id": None, "title": "t", "body": "b"}, token=token)
    assert response.status_code == 401  # signed out: said before any token is looked at
    assert "signed out" in response.get_json()["error"]["message"]


def test_the_preview_fallback_of_a_signed_out_editor_is_a_401_not_a_400(app):
    anonymous = app.test_client()
    response = anonymous.post("/api/preview", json={"markdown": "x"})
    assert response.status_code == 401
    assert "signed out" in response.get_json()["error"]["message"]


# -- autosave over the socket -------------------------------------------------------------------


def test_autosave_over_the_socket_checks_the_session_on_every_message(app):
    client = app.test_client()
    login(client)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    with served(app) as base:
        ws = Client(
            base.replace("http://", "ws://") + "/live/preview",
            headers={"Cookie": f"{cookie.key}={cookie.value}", "Origin": base},
        )
        try:
            message = {"type": "autosave", "seq": 3, "post_id": None, "title": "T", "body": "B"}
            ws.send(json.dumps(message))
            reply = json.loads(ws.receive(timeout=5))
            assert (reply["type"], reply["seq"], reply["post_id"]) == ("autosaved", 3, None)
            with app.app_context():
                end_sessions(db.session.scalars(select(User).where(User.username == "owner")).one())
            ws.send(json.dumps({**message, "seq": 4}))
            reply = json.loads(ws.receive(timeout=5))
            assert (reply["type"], reply["seq"], reply["code"]) == ("error", 4, 401)
        finally:
            ws.close()
    with app.app_context():
        kept = db.session.scalars(select(PostRevision)).all()
        assert [(r.kind, r.body) for r in kept] == [(RevisionKind.AUTOSAVE, "B")]


# -- the revisions page -------------------------------------------------------------------------


def test_the_revisions_page_lists_saves_and_shows_an_escaped_diff(app, owner_client):
    post_id = new_post(owner_client, body="line one\nnothing here")
    edit(owner_client, post_id, body="line one\n<script>alert(1)</script>")
    first, second = revision_ids(app, post_id)
    page = owner_client.get(f"/admin/posts/{post_id}/revisions?old={first}&new={second}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="revision-{first}"' in html and f'id="revision-{second}"' in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="diff-replace"' in html and "<mark>" in html


def test_the_revisions_page_runs_the_same_queries_however_long_the_history(
    app, owner_client, count_queries
):
    post_id = new_post(owner_client, body="v0")
    counts = []
    for n in range(1, 7, 5):
        for k in range(n):
            edit(owner_client, post_id, body=f"v{n}-{k}")
        first, *_, last = revision_ids(app, post_id)
        with count_queries() as queries:
            page = owner_client.get(f"/admin/posts/{post_id}/revisions?old={first}&new={last}")
        assert page.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_editor_lists_the_latest_revisions_with_links_to_compare(app, owner_client):
    post_id = new_post(owner_client, body="one")
    for n in range(6):
        edit(owner_client, post_id, body=f"edit {n}")
    ids = revision_ids(app, post_id)
    page = owner_client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    listed = page.split('id="recent-revisions"')[1].split("</section>")[0]
    assert listed.count("<li>") == 5
    links = re.findall(r'href="/admin/posts/\d+/revisions\?([^"]+)"', listed)
    pairs = [dict(p.split("=") for p in link.split("&amp;")) for link in links]
    assert pairs == [{"old": str(i), "new": str(ids[-1])} for i in reversed(ids[-5:-1])]


def test_restoring_a_revision_saves_it_as_a_new_one(app, owner_client):
    post_id = new_post(owner_client, title="First", body="first body")
    edit(owner_client, post_id, title="Second", body="second body")
    first = revision_ids(app, post_id)[0]
    response = post_form(
        owner_client,
        f"/admin/posts/{post_id}/revisions/{first}/restore",
        {},
        token_from=f"/admin/posts/{post_id}/revisions",
    )
    assert response.status_code == 302
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert (post.title, post.body) == ("First", "first body")
        newest = db.session.get(PostRevision, revision_ids(app, post_id)[-1])
        assert newest.restored_from == first
    assert len(revision_ids(app, post_id)) == 3


def test_an_author_cannot_see_or_restore_another_writers_revisions(
    app, owner_client, author_client
):
    post_id = new_post(owner_client)
    first = revision_ids(app, post_id)[0]
    assert author_client.get(f"/admin/posts/{post_id}/revisions").status_code == 403
    token = csrf_from(author_client, "/admin/posts/new")
    url = f"/admin/posts/{post_id}/revisions/{first}/restore"
    assert author_client.post(url, data={"csrf_token": token}).status_code == 403


def test_a_revision_of_another_post_is_a_404(app, owner_client):
    first_post, second_post = new_post(owner_client), new_post(owner_client, title="Other")
    foreign = revision_ids(app, first_post)[0]
    url = f"/admin/posts/{second_post}/revisions/{foreign}/restore"
    token = csrf_from(owner_client, "/admin/posts/new")
    assert owner_client.post(url, data={"csrf_token": token}).status_code == 404


# -- a category from the editor -----------------------------------------------------------------


def test_a_category_can_be_created_from_the_editor(app, owner_client):
    post_id = new_post(owner_client, new_category="  Travel  notes ")
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.category is not None and post.category.name == "Travel notes"
    new_post(owner_client, title="Another", new_category="Travel notes")  # found, not doubled
    with app.app_context():
        assert db.session.scalars(select(Category.name)).all() == ["Travel notes"]


# -- the media library --------------------------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client) -> str:
    token = csrf_from(client, "/admin/posts/new")
    response = client.post(
        "/admin/uploads",
        data={"image": (io.BytesIO(png()), "pic.png"), "alt": "A picture"},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    return response.get_json()["url"]


def upload_id(app, url: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(Upload.id).where(Upload.filename == url.split("/")[-1])
        ).one()


def test_the_media_library_lists_uploads_with_size_and_where_they_are_used(app, owner_client):
    used, unused = upload(owner_client), upload(owner_client)
    new_post(owner_client, title="With a picture", body=f"![A picture]({used})")
    page = owner_client.get("/admin/media").get_data(as_text=True)
    row_used = page.split(f'id="upload-{upload_id(app, used)}"')[1].split("</tr>")[0]
    row_unused = page.split(f'id="upload-{upload_id(app, unused)}"')[1].split("</tr>")[0]
    assert "With a picture" in row_used and "unused" not in row_used
    assert "unused" in row_unused
    assert f'data-markdown="![]({used})"' in row_used
    assert re.search(r"<td[^>]*>\d+(\.\d)? (Bytes|kB)</td>", row_used)


def test_a_used_upload_is_not_deleted_and_an_unused_one_is(app, owner_client):
    used, unused = upload(owner_client), upload(owner_client)
    new_post(owner_client, title="With a picture", body=f"![A picture]({used})")
    folder = Path(app.config["MYBLOG_UPLOAD_DIR"])
    token = csrf_from(owner_client, "/admin/media")
    refused = owner_client.post(
        f"/admin/media/{upload_id(app, used)}/delete",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Still used by “With a picture”" in refused.get_data(as_text=True)
    assert (folder / used.split("/")[-1]).exists()
    unused_id = upload_id(app, unused)
    owner_client.post(f"/admin/media/{unused_id}/delete", data={"csrf_token": token})
    assert not (folder / unused.split("/")[-1]).exists()
    with app.app_context():
        assert db.session.get(Upload, unused_id) is None


def test_an_author_sees_and_deletes_only_their_own_uploads(app, owner_client, author_client):
    owners = upload(owner_client)
    assert owners not in author_client.get("/admin/media").get_data(as_text=True)
    token = csrf_from(author_client, "/admin/media")
    author_client.post(f"/admin/media/{upload_id(app, owners)}/delete", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Upload, upload_id(app, owners)) is not None


def test_the_editors_new_words_are_in_chinese_too(owner_client):
    autosave(owner_client, {"post_id": None, "title": "半篇", "body": "草稿"})
    headers = {"Accept-Language": "zh-CN"}
    page = owner_client.get("/admin/posts/new", headers=headers).get_data(as_text=True)
    assert "恢复我未保存的修改" in page and "或新建分类" in page
    assert 'data-msg-saved-seconds="{n} 秒前已保存"' in page
    media = owner_client.get("/admin/media", headers=headers).get_data(as_text=True)
    assert "媒体库" in media
