"""Hot-linked images: the owner's list of image hosts (in the CSP's img-src), and copying
remote images into the uploads from the editor and on import, never from the server's own
network, never at the cost of the post."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from image_server import image_server, loopback_only
from porting_support import run
from sqlalchemy import func, select
from support import csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import Post, Upload
from myblog.security import CSP
from myblog.services import remote_images


@pytest.fixture
def remote() -> Iterator[str]:
    with image_server() as base:
        yield base


@pytest.fixture
def reach_local_server(monkeypatch) -> None:
    """Let the fetcher reach 127.0.0.1 (the test server), as if it were a public host."""
    monkeypatch.setattr(remote_images, "is_public", loopback_only)


def save_settings(client, **fields):
    data = {"title": "Test Blog", "tagline": "", "about": "", **fields}
    return post_form(client, "/admin/settings", data)


def img_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(part for part in policy.split("; ") if part.startswith("img-src"))


def stored_post(app, title: str) -> Post:
    with app.app_context():
        post = db.session.scalars(select(Post).where(Post.title == title)).one()
        db.session.expunge(post)
        return post


def uploads(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Upload.id))) or 0


def test_allowed_image_hosts_join_img_src_and_nothing_else_changes(app, client):
    login(client)
    response = save_settings(
        client, image_hosts="i.imgur.com\nhttps://*.githubusercontent.com,  http://old.example.org"
    )
    assert response.status_code == 302
    settings = client.get("/admin/settings").get_data(as_text=True)
    assert (
        "https://i.imgur.com\nhttps://*.githubusercontent.com\nhttp://old.example.org" in settings
    )
    reader = app.test_client()
    for path in ("/", "/about", "/admin/posts/new"):
        response = (client if path.startswith("/admin") else reader).get(path)
        assert img_src(response) == (
            "img-src 'self' data: https://i.imgur.com https://*.githubusercontent.com "
            "http://old.example.org"
        ), path
        others = [p for p in response.headers["Content-Security-Policy"].split("; ")]
        assert [p for p in others if not p.startswith("img-src")] == [
            p for p in CSP.split("; ") if not p.startswith("img-src")
        ]
    save_settings(client, image_hosts="")
    assert img_src(reader.get("/")) == "img-src 'self' data:"


@pytest.mark.parametrize(
    "bad",
    [
        "*",
        "'unsafe-inline'",
        "example.com/path",
        "127.0.0.1",
        "data:",
        "ftp://files.example.com",
        "evil.com; script-src *",
        "localhost",
        "*.com",
    ],
)
def test_image_hosts_that_are_not_plain_host_names_are_refused(app, client, bad):
    login(client)
    response = save_settings(client, image_hosts=f"ok.example.com\n{bad}")
    assert response.status_code == 200
    assert "is not a host name" in response.get_data(as_text=True) or "only http" in (
        response.get_data(as_text=True)
    )
    assert img_src(app.test_client().get("/")) == "img-src 'self' data:"


def new_post(client, title: str, body: str, *, copy_images: bool = True):
    data = {"title": title, "body": body, "status": "published"}
    if copy_images:
        data["copy_images"] = "y"
    return post_form(client, "/admin/posts/new", data)


def test_the_editor_copies_remote_images_and_points_the_post_at_the_copies(
    app, client, remote, reach_local_server
):
    login(client)
    save_settings(client, image_hosts="i.imgur.com")
    body = (
        f"![red]({remote}/red.png) and ![gone]({remote}/missing.png) "
        f"and ![page]({remote}/page.html)"
    )
    response = new_post(client, "Hot-linked", body)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 remote image copied." in page
    assert "Not copied, their links stay as they were" in page
    assert "answered 404" in page and "not an image" in page
    post = stored_post(app, "Hot-linked")
    copy = re.search(r"!\[red\]\((/uploads/[0-9a-f]{32}\.png)\)", post.body)
    assert copy, post.body
    assert f"![gone]({remote}/missing.png)" in post.body
    assert f'<img src="{copy[1]}" alt="red"' in post.body_html
    with client.get(copy[1]) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"
        # uploads keep their own policy, image hosts or not
        assert image.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_without_the_checkbox_nothing_is_fetched(app, client, remote, reach_local_server):
    login(client)
    assert 'name="copy_images" type="checkbox" value="y">' in client.get(
        "/admin/posts/new"
    ).get_data(as_text=True)  # unchecked: the blog's default is off
    new_post(client, "Left alone", f"![red]({remote}/red.png)", copy_images=False)
    assert stored_post(app, "Left alone").body == f"![red]({remote}/red.png)"
    assert uploads(app) == 0
    save_settings(client, copy_remote_images="y")
    editor = client.get("/admin/posts/new").get_data(as_text=True)
    assert re.search(r'<input [^>]*checked[^>]*name="copy_images"', editor)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/red.png",  # the server itself, where the test image really is
        "http://10.1.2.3/x.png",
        "http://169.254.169.254/latest/meta-data/iam.png",
        "http://[::1]:{port}/red.png",
        "http://localhost:{port}/red.png",
        "{remote}/to-metadata",  # a public-looking host redirecting to a private address
        "http://example.com:99999/x.png",  # a port out of range: refused, not a crash
    ],
)
def test_addresses_off_the_public_internet_are_refused_and_the_post_is_kept(
    app, client, remote, monkeypatch, url
):
    if url.startswith("{remote}"):  # only this test server is let through, not where it points
        monkeypatch.setattr(remote_images, "is_public", loopback_only)
    port = remote.rsplit(":", 1)[1]
    url = url.format(port=port, remote=remote)
    login(client)
    response = new_post(client, "Kept", f"Text stays.\n\n![x]({url})")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not copied, their links stay as they were" in page
    post = stored_post(app, "Kept")
    assert post.body == f"Text stays.\n\n![x]({url})" and post.status.value == "published"
    assert uploads(app) == 0


def test_flask_import_fetch_images_copies_them_and_reports_the_rest(
    app, tmp_path: Path, remote, reach_local_server
):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "hello.md").write_text(
        f"---\ntitle: Hello\n---\n\n![red]({remote}/red.png)\n\n![bad](http://10.0.0.8/x.png)\n",
        encoding="utf-8",
    )
    (notes / "plain.md").write_text(f"---\ntitle: Plain\n---\n\n![blue]({remote}/blue.png)\n")
    result = run(app, "import", "--fetch-images", str(notes))
    assert result.exit_code == 0, result.output
    assert "“hello”: 1 remote image copied" in result.output
    assert "“hello”: image not copied, its link stays as it is: 10.0.0.8" in result.output
    assert re.search(r"!\[red\]\(/uploads/[0-9a-f]{32}\.png\)", stored_post(app, "Hello").body)
    assert "![bad](http://10.0.0.8/x.png)" in stored_post(app, "Hello").body
    assert re.search(r"!\[blue\]\(/uploads/", stored_post(app, "Plain").body)
    assert uploads(app) == 2


def test_flask_import_leaves_remote_images_alone_without_the_flag(
    app, tmp_path: Path, remote, reach_local_server
):
    source = tmp_path / "one.md"
    source.write_text(f"---\ntitle: One\n---\n\n![red]({remote}/red.png)\n")
    assert run(app, "import", str(source)).exit_code == 0
    assert stored_post(app, "One").body.strip() == f"![red]({remote}/red.png)"
    assert uploads(app) == 0


def test_the_import_page_copies_remote_images_when_asked(app, client, remote, reach_local_server):
    import io

    login(client)
    data = f"---\ntitle: Uploaded\n---\n\n![red]({remote}/red.png)\n".encode()
    response = client.post(
        "/admin/import",
        data={
            "csrf_token": csrf_from(client, "/admin/import"),
            "file": (io.BytesIO(data), "uploaded.md"),
            "fetch_images": "y",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 remote image copied" in response.get_data(as_text=True)
    assert re.search(r"!\[red\]\(/uploads/", stored_post(app, "Uploaded").body)
