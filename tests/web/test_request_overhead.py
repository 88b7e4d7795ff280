"""What every request pays before its view, cut down: no limit lookups for reads, no session
signing set-up without a session cookie, security headers added in one pass."""

from __future__ import annotations

from flask import Flask, make_response
from support import csrf_from

from myblog.extensions import limiter


def test_reads_are_never_rate_limited_and_posts_still_are(make_app):
    app = make_app(MYBLOG_LOGIN_LIMIT="2 per minute")
    client = app.test_client()
    assert all(client.get("/auth/login").status_code == 200 for _ in range(5))
    token = csrf_from(client)
    form = {"csrf_token": token, "username": "owner", "password": "wrong password"}
    codes = [client.post("/auth/login", data=form).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_every_limit_of_the_app_counts_posts_only(app: Flask):
    # the request filter skips GETs: a limit on reads would silently not apply
    with app.test_request_context():
        decorated = limiter.limit_manager._decorated_limits
    methods = {tuple(limit.methods or ()) for limits in decorated.values() for limit in limits}
    assert methods == {("post",)}


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
