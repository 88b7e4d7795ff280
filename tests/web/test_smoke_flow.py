"""The owner's whole path through the test client: setup, login, write, publish, read."""

from support import OWNER_PASSWORD, csrf_from, login, post_form


def test_first_run_redirects_everything_to_setup_until_done(make_app):
    app = make_app(setup=False)
    client = app.test_client()
    for path in ["/", "/about", "/archive", "/auth/login", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/auth/setup")
    response = post_form(
        client,
        "/auth/setup",
        {
            "title": "我的博客",
            "username": "alice",
            "email": "alice@example.com",
            "password": "s3cret-pass",
            "confirm": "s3cret-pass",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/posts/new")
    assert client.get("/auth/setup").status_code == 404
    home = client.get("/")
    assert home.status_code == 200
    assert "我的博客" in home.get_data(as_text=True)


def test_setup_form_errors_are_shown(make_app):
    client = make_app(setup=False).test_client()
    response = post_form(
        client,
        "/auth/setup",
        {
            "title": "",
            "username": "a b",
            "email": "nope",
            "password": "short",
            "confirm": "x",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is-invalid" in html
    assert "Passwords differ." in html


def test_write_publish_and_read(client):
    login(client, "owner", OWNER_PASSWORD)
    body = "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n"
    response = post_form(
        client,
        "/admin/posts/new",
        {
            "title": "Flask 入门",
            "slug": "",
            "body": body,
            "category_id": "0",
            "tags": "flask, 笔记",
            "status": "published",
            "published_at": "",
            "allow_comments": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Flask 入门" in home
    page = client.get("/post/flask-ru-men")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<table" in html and 'class="highlight"' in html
    assert "#笔记" in html


def test_csrf_missing_is_rejected(client):
    csrf_from(client)
    response = client.post("/auth/login", data={"login": "owner", "password": OWNER_PASSWORD})
    assert response.status_code == 400
