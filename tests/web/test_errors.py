"""Error pages: HTML for people, one JSON shape under /api/, no tracebacks, right headers."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from support import OWNER_PASSWORD, csrf_from, login

from myblog.extensions import db

SECRET_DETAIL = "db password is hunter2"


def assert_html_error(response, code: int, message: str) -> str:
    assert response.status_code == code
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert f'<h1 class="display-5">{code}</h1>' in html
    assert message in html
    assert 'href="/"' in html, "offers a way back home"
    return html


def assert_json_error(response, code: int) -> dict:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["name"] and error["message"]
    return error


# --- 404 --------------------------------------------------------------------------------------


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no/such/page")
    html = assert_html_error(response, 404, "There is nothing at this address.")
    assert "Test Blog" in html, "the error page keeps the site's layout"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_unknown_api_path_is_a_json_404(client):
    error = assert_json_error(client.get("/api/nope"), 404)
    assert error == {
        "code": 404,
        "name": "Not Found",
        "message": "There is nothing at this address.",
    }


def test_json_only_client_gets_json_for_a_page_404(client):
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert_json_error(response, 404)


def test_browser_accept_header_gets_html(client):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/nope", headers={"Accept": accept})
    assert response.mimetype == "text/html"


# --- 405 --------------------------------------------------------------------------------------


def test_get_on_logout_is_an_html_405_that_says_what_is_allowed(client):
    login(client)
    response = client.get("/auth/logout")
    assert_html_error(response, 405, "This address does not accept that kind of request.")
    assert "POST" in response.headers["Allow"]


def test_get_on_api_preview_is_a_json_405(client):
    response = client.get("/api/preview")
    error = assert_json_error(response, 405)
    assert error["name"] == "Method Not Allowed"
    assert "POST" in response.headers["Allow"]


# --- 400 --------------------------------------------------------------------------------------


def test_missing_csrf_token_is_a_400_page(client):
    csrf_from(client)  # a session exists, but the token is not sent
    response = client.post("/auth/login", data={"login": "owner", "password": OWNER_PASSWORD})
    assert_html_error(response, 400, "The CSRF token is missing.")
    assert client.get("/admin/").status_code == 302, "not logged in"


def test_wrong_csrf_token_is_a_400_page(client):
    csrf_from(client)
    response = client.post(
        "/auth/login", data={"csrf_token": "forged", "login": "owner", "password": OWNER_PASSWORD}
    )
    assert_html_error(response, 400, "The CSRF token is invalid.")


def test_csrf_token_from_another_session_is_refused(make_app):
    app = make_app()
    token = csrf_from(app.test_client())
    response = app.test_client().post(
        "/auth/login", data={"csrf_token": token, "login": "owner", "password": OWNER_PASSWORD}
    )
    assert response.status_code == 400


def test_bad_json_to_the_api_is_a_json_400(client):
    login(client)
    token = csrf_from(client, "/admin/posts/new")
    response = client.post("/api/preview", data="not json", headers={"X-CSRFToken": token})
    error = assert_json_error(response, 400)
    assert "markdown" in error["message"]


# --- 413 --------------------------------------------------------------------------------------


def test_too_large_request_is_a_413_page(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    token = csrf_from(client)
    response = client.post(
        "/auth/login", data={"csrf_token": token, "login": "owner", "password": "x" * 5000}
    )
    assert_html_error(response, 413, "The upload is too large: the limit is 1000 bytes.")


def test_too_large_api_request_is_a_json_413(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    login(client)
    token = csrf_from(client, "/admin/posts/new")
    response = client.post(
        "/api/preview", json={"markdown": "x" * 5000}, headers={"X-CSRFToken": token}
    )
    assert_json_error(response, 413)


# --- 500 --------------------------------------------------------------------------------------


@pytest.fixture
def crashing_app(make_app):
    """An app with routes that raise, and exceptions handled as in production."""
    app = make_app()

    @app.route("/boom")
    def boom():
        raise RuntimeError(SECRET_DETAIL)

    @app.route("/api/boom")
    def api_boom():
        raise KeyError(SECRET_DETAIL)

    @app.route("/bad-sql")
    def bad_sql():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_unexpected_exception_is_a_500_page_without_a_traceback(crashing_app, caplog):
    response = crashing_app.test_client().get("/boom")
    html = assert_html_error(response, 500, "Something went wrong on our side.")
    assert SECRET_DETAIL not in html
    assert "Traceback" not in html and "RuntimeError" not in html and ".py" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # ...but the operator gets the whole story in the log
    assert any(SECRET_DETAIL in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_unexpected_exception_under_api_is_a_json_500(crashing_app):
    response = crashing_app.test_client().get("/api/boom")
    error = assert_json_error(response, 500)
    body = response.get_data(as_text=True)
    assert SECRET_DETAIL not in body and "Traceback" not in body and "KeyError" not in body
    assert error["message"] == "Something went wrong on our side. It has been logged."


def test_a_database_error_that_is_a_bug_stays_a_logged_500(crashing_app, caplog):
    # only an unreachable database is a 503 (tests/integration/test_database_outage.py)
    response = crashing_app.test_client().get("/bad-sql")
    assert_html_error(response, 500, "Something went wrong on our side.")
    assert "Retry-After" not in response.headers
    assert any("no_such_table" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_a_stale_update_is_a_409_page(make_app):
    app = make_app()

    @app.route("/stale")
    def stale():
        raise StaleDataError("UPDATE statement on table 'posts' expected to update 1 row(s)")

    response = app.test_client().get("/stale")
    assert_html_error(response, 409, "Someone else changed or deleted this meanwhile")


def test_app_keeps_working_after_a_500(crashing_app):
    client = crashing_app.test_client()
    assert client.get("/boom").status_code == 500
    assert client.get("/").status_code == 200
    login(client)
    assert client.get("/admin/").status_code == 200
