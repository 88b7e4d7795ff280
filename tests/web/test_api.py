"""Request tests for the JSON API: health, the public post list, the editor's preview."""

from __future__ import annotations

import pytest
from support import csrf_from, login

from myblog.models import PostStatus
from myblog.services.posts import MAX_BODY


def preview(client, payload=None, *, token: str | None = None, **kwargs):
    headers = {"X-CSRFToken": token} if token else {}
    if payload is not None:
        kwargs["json"] = payload
    return client.post("/api/preview", headers=headers, **kwargs)


@pytest.fixture
def editor(client):
    """A logged-in client and a CSRF token for its session."""
    login(client)
    return client, csrf_from(client, "/admin/posts/new")


def assert_json_error(response, code: int) -> str:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error["message"]


def test_health_is_json_naming_each_dependency(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    # no REDIS_URL in the tests' config: Redis is not checked
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_runs_one_statement_and_no_site_lookup(client, count_queries):
    client.get("/api/health")
    with count_queries() as counter:
        client.get("/api/health")
    assert counter.statements == ["SELECT 1"]


def test_health_answers_before_setup_while_the_rest_waits(make_app):
    client = make_app(setup=False).test_client()
    health = client.get("/api/health").get_json()
    assert health == {"status": "ok", "checks": {"database": "ok"}}
    assert "not set up" in assert_json_error(client.get("/api/posts"), 503)


def test_posts_lists_readable_posts_with_absolute_urls(client, factory, app):
    factory.posts(1, tags=["web", "flask"], body="Hello **there**.")
    factory.posts(1, status=PostStatus.DRAFT)
    response = client.get("/api/posts")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["page"], data["next"], data["prev"]) == (1, None, None)
    (post,) = data["posts"]
    assert post["url"] == f"http://localhost/post/{post['slug']}"
    assert post["author"] == "owner"
    assert post["tags"] == ["flask", "web"]
    assert post["excerpt"] == "Hello there."
    assert post["category"] is None
    assert post["published_at"].endswith("+00:00")
    assert client.get(post["url"]).status_code == 200


def test_posts_are_paginated_newest_first(client, factory, app):
    per_page = app.config["MYBLOG_POSTS_PER_PAGE"]
    ids = factory.posts(per_page + 2)  # the factory dates each one a minute before the last
    first = client.get("/api/posts").get_json()
    second = client.get("/api/posts?page=2").get_json()
    assert first["next"] == "http://localhost/api/posts?page=2"
    assert (second["next"], second["prev"]) == (None, "http://localhost/api/posts?page=1")
    assert [p["id"] for p in first["posts"]] == ids[:per_page]
    assert [p["id"] for p in second["posts"]] == ids[per_page:]


@pytest.mark.parametrize("page", ["x", "0", "-1", "1.5", "99999999999", "²", "١"])
def test_a_bad_page_is_a_json_400(client, page):
    message = assert_json_error(client.get(f"/api/posts?page={page}"), 400)
    assert "page" in message


def test_a_page_past_the_end_is_a_json_404(client, factory):
    factory.posts(1)
    assert_json_error(client.get("/api/posts?page=5"), 404)


def test_posts_query_count_does_not_grow(client, factory, count_queries):
    factory.posts(2, tags=["a"])
    client.get("/api/posts")
    with count_queries() as few:
        client.get("/api/posts")
    factory.posts(8, tags=["a", "b", "c"])
    with count_queries() as many:
        client.get("/api/posts")
    assert len(many) == len(few)


def test_preview_needs_a_login(client):
    token = csrf_from(client)
    assert_json_error(preview(client, {"markdown": "# Hi"}, token=token), 401)


def test_preview_needs_the_csrf_header(editor):
    client, _ = editor
    message = assert_json_error(preview(client, {"markdown": "# Hi"}), 400)
    assert "CSRF" in message
    assert_json_error(preview(client, {"markdown": "# Hi"}, token="forged"), 400)


def test_preview_renders_sanitised_html(editor):
    client, token = editor
    response = preview(
        client,
        {"markdown": "# Title\n\n**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>"},
        token=token,
    )
    assert response.status_code == 200
    html = response.get_json()["html"]
    # the preview's blocks carry their first source line, which the editor scrolls to
    title = '<h1 id="title" data-line="0">Title <a class="header-anchor" href="#title">#</a></h1>'
    assert title in html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html


@pytest.mark.parametrize(
    "body",
    [
        {"data": "not json", "content_type": "application/json"},
        {"data": "{", "content_type": "application/json"},
        {"json": ["a list"]},
        {"json": {"markdown": 42}},
        {"json": {"text": "wrong key"}},
    ],
)
def test_preview_rejects_a_bad_body_with_a_message(editor, body):
    client, token = editor
    message = assert_json_error(preview(client, token=token, **body), 400)
    assert '{"markdown": "# Title"}' in message


def test_preview_rejects_markdown_over_the_limit(editor):
    client, token = editor
    message = assert_json_error(
        preview(client, {"markdown": "a" * (MAX_BODY + 1)}, token=token), 413
    )
    assert str(MAX_BODY) in message
    assert preview(client, {"markdown": "a" * MAX_BODY}, token=token).status_code == 200


def test_api_errors_are_json_even_for_unknown_paths_and_methods(client):
    assert_json_error(client.get("/api/nothing-here"), 404)
    assert_json_error(client.get("/api/preview"), 405)
