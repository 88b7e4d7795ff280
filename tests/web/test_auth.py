"""The accounts blueprint: login, logout, safe redirects, cookies, rate limit, setup, production."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from support import OWNER_PASSWORD, Factory, csrf_from, login, post_form

from myblog import create_app
from myblog.extensions import db
from myblog.models import Role, User
from myblog.services.accounts import setup_blog

HTTPS = "https://localhost"
WRONG = "Wrong username/email or password."


def set_cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def cookie_flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def deactivate(app, username: str) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        user.active = False
        db.session.commit()


def logged_in(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


# --- logging in -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["owner", "OWNER", "  owner ", "owner@example.com", "Owner@EXAMPLE.com"]
)
def test_login_by_username_or_email_case_insensitively(client, name):
    response = post_form(client, "/auth/login", {"login": name, "password": OWNER_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Welcome back, owner." in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("owner", "wrong password"),
        ("owner", OWNER_PASSWORD.upper()),
        ("nobody", OWNER_PASSWORD),
        ("nobody@example.com", "whatever-it-is"),
    ],
)
def test_bad_credentials_get_401_and_one_clear_message(client, name, password):
    response = post_form(client, "/auth/login", {"login": name, "password": password})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert WRONG in html
    assert 'name="login"' in html and f'value="{name}"' in html, "the form is shown again"
    assert not logged_in(client)


def test_empty_form_is_not_a_login(client):
    response = post_form(client, "/auth/login", {"login": "", "password": ""})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    assert not logged_in(client)


def test_inactive_user_cannot_log_in(app, client, factory):
    factory.user("alice", Role.AUTHOR)
    deactivate(app, "alice")
    response = post_form(client, "/auth/login", {"login": "alice", "password": "plum-kettle-42"})
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)
    assert not logged_in(client)


def test_deactivating_a_user_ends_their_existing_session(app, client, factory):
    factory.user("alice", Role.AUTHOR)
    login(client, "alice", "plum-kettle-42")
    assert logged_in(client)
    deactivate(app, "alice")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


def test_logged_in_user_visiting_login_goes_to_the_dashboard(client):
    login(client)
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/auth/login?next=/admin/posts").headers["Location"] == "/admin/posts"
    assert client.get("/auth/login?next=//evil.com").headers["Location"] == "/admin/"


# --- where login goes next --------------------------------------------------------------------


def test_login_with_next_in_the_query_redirects_there(client):
    url = "/auth/login?next=/admin/posts"
    html = client.get(url).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/admin/posts"' in html
    response = post_form(client, url, {"login": "owner", "password": OWNER_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/posts"


def test_login_with_next_in_the_form_redirects_there(client):
    response = post_form(
        client, "/auth/login", {"login": "owner", "password": OWNER_PASSWORD, "next": "/about"}
    )
    assert response.headers["Location"] == "/about"


def test_admin_pages_send_anonymous_visitors_to_login_and_back(client):
    response = client.get("/admin/posts?status=draft")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    (target,) = parse_qs(location.query)["next"]
    assert target == "/admin/posts?status=draft"
    login_url = f"{location.path}?{location.query}"
    response = post_form(client, login_url, {"login": "owner", "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/admin/posts?status=draft"


@pytest.mark.parametrize("path", ["/admin/", "/admin/posts/new", "/admin/settings", "/admin/users"])
def test_every_admin_page_needs_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


UNSAFE_NEXT = [
    "/\\evil.com",
    "\\\\evil.com",
    "///evil.com",
    "//evil.com",
    "//evil.com/admin",
    "https://evil.com",
    "http://localhost.evil.com/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/\tevil.com",
    "/\r\nLocation: https://evil.com",
    "evil.com",
    "admin/posts",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_in_the_form_goes_to_the_dashboard(client, target):
    response = post_form(
        client, "/auth/login", {"login": "owner", "password": OWNER_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    "query",
    ["next=/%5Cevil.com", "next=%2F%2Fevil.com", "next=/%5C/evil.com", "next=https:%2F%2Fevil.com"],
)
def test_unsafe_next_in_the_query_goes_to_the_dashboard(client, query):
    url = f"/auth/login?{query}"
    assert 'name="next" type="hidden" value=""' in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {"login": "owner", "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_percent_encoded_backslash_stays_a_local_path(client):
    # the literal text "/%5Cevil.com" is a path on this site (browsers do not decode %5C into
    # a backslash before finding the host), so it may be used; the decoded "\" form may not
    response = post_form(
        client,
        "/auth/login",
        {"login": "owner", "password": OWNER_PASSWORD, "next": "/%5Cevil.com"},
    )
    location = response.headers["Location"]
    assert location == "/%5Cevil.com"
    assert urlsplit(location).netloc == ""


# --- logging out ------------------------------------------------------------------------------


def test_logout_is_post_only(client):
    login(client)
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert logged_in(client)


def test_logout_needs_csrf(client):
    login(client)
    response = client.post("/auth/logout")
    assert response.status_code == 400
    response = client.post("/auth/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert logged_in(client)


def test_logout_with_csrf_logs_out(client):
    login(client)
    response = post_form(client, "/auth/logout", {}, token_from="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "You have logged out." in client.get("/").get_data(as_text=True)
    assert not logged_in(client)


def test_logout_when_not_logged_in_goes_to_login(client):
    response = post_form(client, "/auth/logout", {}, token_from="/auth/login")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


# --- cookies ----------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = login(client)
    header = set_cookie_header(response, "session")
    flags = cookie_flags(header)
    assert "httponly" in flags
    assert "samesite=lax" in header.lower()
    assert "secure" not in flags  # the testing config serves plain http
    assert "remember_token=" not in "".join(response.headers.getlist("Set-Cookie"))


def test_remember_me_sets_a_hardened_remember_cookie(client):
    response = post_form(
        client,
        "/auth/login",
        {"login": "owner", "password": OWNER_PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    header = set_cookie_header(response, "remember_token")
    assert "httponly" in cookie_flags(header)
    assert "samesite=lax" in header.lower()
    assert "expires" in cookie_flags(header)


def test_remember_cookie_restores_the_login_without_a_session(app, client):
    post_form(
        client,
        "/auth/login",
        {"login": "owner", "password": OWNER_PASSWORD, "remember": "y"},
    )
    client.delete_cookie("session")
    assert logged_in(client)


# --- rate limit -------------------------------------------------------------------------------


def test_fourth_login_attempt_in_a_minute_is_429_html(make_app):
    client = make_app(MYBLOG_LOGIN_LIMIT="3 per minute").test_client()
    for _ in range(3):
        response = post_form(client, "/auth/login", {"login": "owner", "password": "nope-nope"})
        assert response.status_code == 401
    response = post_form(client, "/auth/login", {"login": "owner", "password": OWNER_PASSWORD})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Too many requests: please wait a moment and try again." in html
    assert "(Limit: 3 per 1 minute.)" in html
    assert int(response.headers["Retry-After"]) > 0
    assert not logged_in(client), "a correct password does not get past the limit"
    # reading the form stays possible
    assert client.get("/auth/login").status_code == 200


def _attempt(client, login: str, password: str, address: str):
    """A sign-in attempt from a client address of its own (a botnet spreads its guesses)."""
    token = csrf_from(client)
    return client.post(
        "/auth/login",
        data={"csrf_token": token, "login": login, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failed_sign_ins_are_limited_per_account_whatever_the_address(make_app):
    client = make_app(MYBLOG_LOGIN_ACCOUNT_LIMIT="3 per minute").test_client()
    spellings = ["owner", " Owner", "OWNER "]  # one account, however it is typed
    for n, name in enumerate(spellings):
        assert _attempt(client, name, "wrong-guess", f"10.0.0.{n}").status_code == 401
    limited = _attempt(client, "owner", OWNER_PASSWORD, "10.0.1.1")
    assert limited.status_code == 429
    assert limited.mimetype == "text/html"
    assert "Too many failed sign-ins with this username or email" in limited.get_data(True)
    assert int(limited.headers["Retry-After"]) > 0
    assert not logged_in(client), "a correct password does not get past the limit"
    # the account is what was limited, not the address: another account signs in from it
    Factory(client.application).user("other", password="plum-kettle-42")
    assert _attempt(client, "other", "plum-kettle-42", "10.0.1.1").status_code == 302


def test_the_account_limit_answers_alike_for_names_without_an_account(make_app):
    client = make_app(MYBLOG_LOGIN_ACCOUNT_LIMIT="2 per minute").test_client()
    answers = {}
    for name in ("owner", "nobody-by-this-name"):
        codes = [_attempt(client, name, "wrong-guess", f"10.0.2.{n}").status_code for n in range(3)]
        answers[name] = codes
        page = _attempt(client, name, "wrong-guess", "10.0.3.1")
        answers[name].append(page.status_code)
        assert "Too many failed sign-ins with this username or email" in page.get_data(True)
    assert answers["owner"] == answers["nobody-by-this-name"] == [401, 401, 429, 429]


def test_signing_in_does_not_use_up_the_account_limit(make_app):
    app = make_app(MYBLOG_LOGIN_ACCOUNT_LIMIT="2 per minute")
    for n in range(4):  # a new browser each time: every one really signs in
        client = app.test_client()
        assert _attempt(client, "owner", OWNER_PASSWORD, f"10.0.4.{n}").status_code == 302
        assert logged_in(client)
    assert _attempt(app.test_client(), "owner", "wrong-guess", "10.0.4.9").status_code == 401


def test_the_address_limit_still_holds_across_accounts(make_app):
    client = make_app(MYBLOG_LOGIN_LIMIT="2 per minute").test_client()
    codes = [_attempt(client, f"name{n}", "wrong-guess", "10.0.5.1").status_code for n in range(3)]
    assert codes == [401, 401, 429]


def test_rate_limited_json_client_gets_json(make_app):
    client = make_app(MYBLOG_LOGIN_LIMIT="1 per minute").test_client()
    post_form(client, "/auth/login", {"login": "owner", "password": "nope-nope"})
    token = csrf_from(client)
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "login": "owner", "password": "nope"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == 429


# --- first-run setup --------------------------------------------------------------------------


def test_setup_page_is_gone_after_setup(client):
    assert client.get("/auth/setup").status_code == 404
    token = csrf_from(client)
    response = client.post(
        "/auth/setup",
        data={
            "csrf_token": token,
            "title": "Hijack",
            "username": "mallory",
            "email": "m@example.com",
            "password": "mallory-pass",
            "confirm": "mallory-pass",
        },
    )
    assert response.status_code == 404
    assert "Hijack" not in client.get("/").get_data(as_text=True)


# --- production configuration -----------------------------------------------------------------


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "9f2c1e7b5a4d8c3f6e0b1a2d3c4e5f60718293a4b5c6d7e8f9")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    for name in ("REDIS_URL", "MYBLOG_URL_SCHEME", "MYBLOG_AUTO_MIGRATE", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def production_app(production_env):
    app = create_app("production", {"MYBLOG_UPLOAD_DIR": str(production_env / "uploads")})
    with app.app_context():
        db.create_all()
        setup_blog(title="Prod", username="owner", email="o@example.com", password=OWNER_PASSWORD)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_config_hardens_cookies(production_app):
    config = production_app.config
    assert config["TESTING"] is False
    assert config["DEBUG"] is False
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert config["REMEMBER_COOKIE_NAME"] == "__Host-remember_token"
    assert config["PREFERRED_URL_SCHEME"] == "https"
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("prod.sqlite")


def test_production_login_sets_secure_cookies(production_app):
    client = production_app.test_client()
    # over https Flask-WTF also checks the Referer against our host
    response = post_form(
        client,
        "/auth/login",
        {"login": "owner", "password": OWNER_PASSWORD, "remember": "y"},
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/auth/login"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # "__Host-": the browser keeps them only as Secure, for the whole site, for this host alone
    for name in ("__Host-session", "__Host-remember_token"):
        header = set_cookie_header(response, name)
        assert {"secure", "httponly", "path"} <= cookie_flags(header), header
        assert "domain" not in cookie_flags(header)
        assert "; Path=/;" in header
        assert "samesite=lax" in header.lower()
    assert logged_in_over_https(client)
    client.delete_cookie("__Host-session")
    assert logged_in_over_https(client), "the remember-me cookie signs in again"
    page = client.get("/", base_url=HTTPS)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def logged_in_over_https(client) -> bool:
    return client.get("/admin/", base_url=HTTPS).status_code == 200


def test_production_theme_cookie_is_secure(production_app):
    client = production_app.test_client()
    response = client.post(
        "/theme/dark",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/"},
    )
    assert response.status_code == 302
    assert "secure" in cookie_flags(set_cookie_header(response, "theme"))


def test_production_feed_urls_use_https(production_app):
    # behind a TLS-terminating proxy the request may arrive as http: links still say https
    feed = production_app.test_client().get("/feed.xml").get_data(as_text=True)
    assert 'href="https://localhost/feed.xml"' in feed


def test_production_refuses_to_start_without_a_secret_key(production_env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


@pytest.mark.parametrize("key", ["", "changeme", "dev", "too-short-but-random-1234"])
def test_production_refuses_a_weak_secret_key(production_env, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
