"""Behind a TLS-terminating reverse proxy: MYBLOG_TRUSTED_PROXIES says how many proxies' headers
to believe for the client's address (rate limits) and the scheme (HSTS, external links)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import OWNER_PASSWORD, input_value, post_form

from myblog import create_app
from myblog.extensions import db
from myblog.models import OutboxEmail
from myblog.services.accounts import setup_blog

HTTPS = {"X-Forwarded-Proto": "https"}


def from_client(address: str, **more: str) -> dict[str, str]:
    """The headers a proxy adds for a client at `address` (X-Forwarded-For grows by one hop)."""
    return {"X-Forwarded-For": address, **more}


def failed_login(client, headers: dict[str, str]) -> int:
    data = {"login": "owner", "password": "not-the-password"}
    return post_form(client, "/auth/login", data, headers=headers).status_code


@pytest.fixture
def proxied(make_app):
    """The app behind one trusted proxy, with a login limit of 2 failures a minute."""
    return make_app(MYBLOG_TRUSTED_PROXIES=1, MYBLOG_LOGIN_LIMIT="2 per minute")


@pytest.fixture
def direct(make_app):
    """The app with no trusted proxy (the default), with the same login limit."""
    return make_app(MYBLOG_LOGIN_LIMIT="2 per minute")


def test_no_proxy_is_trusted_by_default(app):
    assert app.config["MYBLOG_TRUSTED_PROXIES"] == 0


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(proxied):
    client = proxied.test_client()
    mallory, alice = from_client("203.0.113.66"), from_client("198.51.100.7")
    assert [failed_login(client, mallory) for _ in range(3)] == [401, 401, 429]
    # another reader behind the same proxy is not locked out by mallory's failures
    assert failed_login(client, alice) == 401
    response = post_form(
        client, "/auth/login", {"login": "owner", "password": OWNER_PASSWORD}, headers=alice
    )
    assert response.status_code == 302


def test_a_client_cannot_escape_the_limit_by_forging_x_forwarded_for(proxied):
    # the proxy appends the address it saw; only that last hop is believed
    client = proxied.test_client()
    statuses = [failed_login(client, from_client(f"10.0.0.{n}, 203.0.113.66")) for n in range(3)]
    assert statuses == [401, 401, 429]


def test_without_a_trusted_proxy_forged_x_forwarded_for_is_ignored(direct):
    # every request comes from the test client's own address: one bucket, whatever it claims
    client = direct.test_client()
    statuses = [failed_login(client, from_client(f"203.0.113.{n}")) for n in range(3)]
    assert statuses == [401, 401, 429]


def test_two_trusted_proxies_take_the_address_two_hops_back(make_app):
    client = make_app(MYBLOG_TRUSTED_PROXIES=2, MYBLOG_LOGIN_LIMIT="2 per minute").test_client()
    cdn = "192.0.2.10"  # the outer proxy's address, added by the inner one
    mallory = from_client(f"203.0.113.66, {cdn}")
    assert [failed_login(client, mallory) for _ in range(3)] == [401, 401, 429]
    assert failed_login(client, from_client(f"198.51.100.7, {cdn}")) == 401


def test_behind_a_trusted_proxy_https_is_seen_hsts_sent_and_links_are_https(proxied):
    client = proxied.test_client()
    page = client.get("/", headers=from_client("198.51.100.7", **HTTPS))
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert '<link rel="canonical" href="https://localhost/">' in page.get_data(as_text=True)
    api = client.get("/api/posts?page=1", headers=HTTPS).get_json()
    assert api["posts"] == [] or api["posts"][0]["url"].startswith("https://")
    plain = client.get("/", headers=from_client("198.51.100.7", **{"X-Forwarded-Proto": "http"}))
    assert "Strict-Transport-Security" not in plain.headers


def test_without_a_trusted_proxy_forged_x_forwarded_proto_is_ignored(direct):
    page = direct.test_client().get("/", headers=HTTPS)
    assert "Strict-Transport-Security" not in page.headers
    assert '<link rel="canonical" href="http://localhost/">' in page.get_data(as_text=True)


def test_a_reset_link_mailed_behind_the_proxy_is_https(proxied):
    client = proxied.test_client()
    # seen as https, Flask-WTF also checks that the Referer is this site
    headers = from_client("198.51.100.7", Referer="https://localhost/auth/reset", **HTTPS)
    response = post_form(client, "/auth/reset", {"email": "owner@example.com"}, headers=headers)
    assert response.status_code == 302
    with proxied.app_context():
        body = db.session.scalars(select(OutboxEmail.text_body)).one()
    assert "https://localhost/auth/reset/" in body


def test_the_host_header_is_used_not_x_forwarded_host(proxied):
    # nginx passes Host on (proxy_set_header Host $host); a forged X-Forwarded-Host that a
    # proxy lets through must not end up in links
    page = proxied.test_client().get("/", headers={"X-Forwarded-Host": "evil.example", **HTTPS})
    assert "evil.example" not in page.get_data(as_text=True)


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_number_of_proxies_refuses_to_start(monkeypatch, tmp_path, value):
    monkeypatch.setenv("MYBLOG_TRUSTED_PROXIES", value)
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    with pytest.raises(RuntimeError, match="MYBLOG_TRUSTED_PROXIES"):
        create_app("testing", settings)


@pytest.fixture
def production_app_behind_proxy(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "5e1f0c9a7b3d2e4f6a8c0b1d3e5f7a9c1b3d5e7f")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("MYBLOG_TRUSTED_PROXIES", "1")
    for name in ("REDIS_URL", "MYBLOG_URL_SCHEME", "MYBLOG_AUTO_MIGRATE", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    app = create_app("production", {"MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        db.create_all()
        setup_blog(title="Prod", username="owner", email="o@example.com", password=OWNER_PASSWORD)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_behind_its_proxy_gets_https_from_the_header(production_app_behind_proxy):
    # the proxy speaks plain http to the app; the browser spoke https to the proxy
    client = production_app_behind_proxy.test_client()
    site = {"base_url": "http://blog.example"}
    headers = {"Referer": "https://blog.example/auth/login", **from_client("198.51.100.7", **HTTPS)}
    form = client.get("/auth/login", headers=headers, **site)
    assert form.headers["Strict-Transport-Security"].startswith("max-age=")
    token = input_value(form.get_data(as_text=True), "csrf_token")
    data = {"csrf_token": token, "login": "owner", "password": OWNER_PASSWORD, "remember": "y"}
    response = client.post("/auth/login", data=data, headers=headers, **site)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/admin/"
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("__Host-session=", "__Host-remember_token="):
        assert any(c.startswith(name) and "Secure" in c for c in cookies), cookies
    assert client.get("/admin/", headers=headers, **site).status_code == 200
