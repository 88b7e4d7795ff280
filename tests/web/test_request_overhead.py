"""What every request pays before its view, cut down: no app-wide rate-limit lookup, no session
signing set-up without a session cookie, security headers added in one pass."""

from __future__ import annotations

from flask import Flask, make_response
from support import csrf_from

from myblog.extensions import limiter


def test_sign_in_pages_are_not_limited_and_sign_ins_are(make_app):
    app = make_app(MYBLOG_LOGIN_LIMIT="2 per minute")
    client = app.test_client()
    assert all(client.get("/auth/login").status_code == 200 for _ in range(5))
    token = csrf_from(client)
    form = {"csrf_token": token, "username": "owner", "password": "wrong password"}
    codes = [client.post("/auth/login", data=form).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_limits_are_checked_by_their_routes_alone(make_app):
    app = make_app(MYBLOG_SEARCH_LIMIT="2 per minute")
    assert limiter._check_request_limit not in app.before_request_funcs[None]
    client = app.test_client()
    codes = [client.get("/search?q=tea").status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # a limit on reads still holds


def test_an_anonymous_request_opens_an_empty_session_and_sets_no_cookie(client):
    response = client.get("/")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_view_s_own_security_header_wins_and_the_others_are_added(app: Flask):
    @app.route("/own-csp")
    def own_csp():
        response = make_response("x")
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = app.test_client().get("/own-csp")
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
