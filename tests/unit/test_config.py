"""Configuration: read from the environment when the app is built, safe defaults for dev only."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest

from myblog import create_app
from myblog.config import (
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_class,
)

SETTINGS_FROM_ENV = [
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "MYBLOG_CONFIG",
    "MYBLOG_AUTO_MIGRATE",
    "MYBLOG_POSTS_PER_PAGE",
    "MYBLOG_MAX_UPLOAD_BYTES",
    "MYBLOG_UPLOAD_DIR",
    "MYBLOG_URL_SCHEME",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MYBLOG_TRUSTED_PROXIES",
    "MYBLOG_SECRET_KEY_FALLBACKS",
    "MYBLOG_REMEMBER_DAYS",
    "MYBLOG_CSRF_SECONDS",
    "MYBLOG_MAIL_GIVE_UP_DAYS",
    "MYBLOG_MAIL_SEND_TIMEOUT",
    "MYBLOG_SITEMAP_PAGE_SIZE",
]
GOOD_KEY = "0123456789abcdef" * 4


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Each test starts from an environment without any of our settings."""
    for name in SETTINGS_FROM_ENV:
        monkeypatch.delenv(name, raising=False)


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = DevelopmentConfig.load(tmp_path)["SECRET_KEY"]
    second = DevelopmentConfig.load(tmp_path)["SECRET_KEY"]
    assert first == second
    assert len(first) == 64 and int(first, 16) >= 0
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # another instance folder gets another key
    assert DevelopmentConfig.load(tmp_path / "other")["SECRET_KEY"] != first


@pytest.mark.parametrize("placeholder", ["", "changeme", "dev"])
def test_development_replaces_a_placeholder_key(tmp_path, monkeypatch, placeholder):
    monkeypatch.setenv("SECRET_KEY", placeholder)
    key = DevelopmentConfig.load(tmp_path)["SECRET_KEY"]
    assert len(key) == 64
    assert (tmp_path / "secret_key").read_text() == key


def test_development_uses_a_real_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    assert DevelopmentConfig.load(tmp_path)["SECRET_KEY"] == GOOD_KEY
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("key", ["", "changeme", "CHANGEME", "replace-me", "short-but-random"])
def test_production_refuses_a_missing_default_or_short_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig.load(tmp_path)
    assert not (tmp_path / "secret_key").exists()  # never falls back to a generated key


def test_production_refuses_to_start_without_a_key(tmp_path, monkeypatch):
    # the whole factory fails fast, not just the config class
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_accepts_a_random_key_and_secures_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    settings = ProductionConfig.load(tmp_path)
    assert settings["SECRET_KEY"] == GOOD_KEY
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["PREFERRED_URL_SCHEME"] == "https"
    assert settings["MYBLOG_AUTO_MIGRATE"] is False


def test_production_app_builds_with_a_good_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    app = create_app("production")
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'prod.sqlite'}"
    assert not app.testing


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////srv/blog.sqlite", "sqlite:////srv/blog.sqlite"),
    ],
)
def test_database_url_is_normalised_for_psycopg(tmp_path, monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert TestingConfig.load(tmp_path)["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    settings = DevelopmentConfig.load(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'myblog.sqlite'}"
    assert settings["MYBLOG_UPLOAD_DIR"] == str(tmp_path / "uploads")


def test_without_redis_cache_and_limiter_live_in_memory(tmp_path):
    settings = DevelopmentConfig.load(tmp_path)
    assert settings["REDIS_URL"] is None
    assert settings["CACHE_TYPE"] == "SimpleCache"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"


def test_redis_url_moves_cache_and_limiter_to_redis(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    for config in (DevelopmentConfig, ProductionConfig):
        settings = config.load(tmp_path)
        assert settings["REDIS_URL"] == "redis://cache.internal:6379/2"
        assert settings["CACHE_TYPE"] == "myblog.shared_storage.FallbackRedisCache"
        assert settings["CACHE_REDIS_URL"] == "redis://cache.internal:6379/2"
        assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"
        # a down or hung Redis costs a request a quarter of a second, then memory takes over
        bounded = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
        assert settings["CACHE_OPTIONS"] == bounded
        assert settings["RATELIMIT_STORAGE_OPTIONS"] == bounded
        assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    # tests keep their limiter in memory even when the environment names a Redis
    assert TestingConfig.load(tmp_path)["RATELIMIT_STORAGE_URI"] == "memory://"


def test_the_redis_timeout_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("MYBLOG_REDIS_TIMEOUT", "0.1")
    settings = DevelopmentConfig.load(tmp_path)
    assert settings["MYBLOG_REDIS_TIMEOUT"] == 0.1
    assert settings["CACHE_OPTIONS"]["socket_timeout"] == 0.1
    assert settings["RATELIMIT_STORAGE_OPTIONS"]["socket_connect_timeout"] == 0.1


@pytest.mark.parametrize(("given", "expected"), [(None, 50_000), ("500", 500), ("80000", 50_000)])
def test_a_sitemap_lists_at_most_what_the_protocol_allows(tmp_path, monkeypatch, given, expected):
    if given is not None:
        monkeypatch.setenv("MYBLOG_SITEMAP_PAGE_SIZE", given)
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_SITEMAP_PAGE_SIZE"] == expected


def test_a_sitemap_page_lists_at_least_one_url(tmp_path, monkeypatch):
    monkeypatch.setenv("MYBLOG_SITEMAP_PAGE_SIZE", "0")
    with pytest.raises(RuntimeError, match="MYBLOG_SITEMAP_PAGE_SIZE"):
        DevelopmentConfig.load(tmp_path)


# --- several processes need shared rate-limit counters ------------------------------------------


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    for name in ("MYBLOG_WORKERS", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.argv", ["/srv/blog/.venv/bin/flask", "run"])
    return monkeypatch


def test_one_process_counts_limits_alone_and_needs_no_redis(production_env):
    # outside gunicorn WEB_CONCURRENCY is not ours to read (a release command may carry it)
    production_env.setenv("WEB_CONCURRENCY", "4")
    app = create_app("production", cli=False)
    assert app.config["MYBLOG_WORKERS"] == 1


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["/srv/.venv/bin/flask", "run"], {"MYBLOG_WORKERS": "2"}),
        (["/srv/.venv/bin/gunicorn", "-w", "4", "myblog.wsgi:app"], {}),
        (["/srv/.venv/bin/gunicorn", "--workers=3", "myblog.wsgi:app"], {}),
        (["/srv/.venv/lib/python3.11/site-packages/gunicorn/__main__.py", "-w2", "x"], {}),
        (["/srv/.venv/bin/gunicorn", "myblog.wsgi:app"], {"GUNICORN_CMD_ARGS": "-w 3 -k gthread"}),
        (["/srv/.venv/bin/gunicorn", "myblog.wsgi:app"], {"WEB_CONCURRENCY": "2"}),
    ],
)
def test_production_refuses_several_workers_without_redis(production_env, argv, env):
    production_env.setattr("sys.argv", argv)
    for name, value in env.items():
        production_env.setenv(name, value)
    with pytest.raises(RuntimeError, match="without REDIS_URL each keeps its own rate-limit"):
        create_app("production", cli=False)


def test_several_workers_share_their_limits_through_redis(production_env):
    production_env.setattr("sys.argv", ["/srv/.venv/bin/gunicorn", "-w", "4", "myblog.wsgi:app"])
    production_env.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    production_env.setenv("MYBLOG_MAIL_SENDER", "off")
    app = create_app("production", cli=False)  # builds: nothing connects to Redis yet
    assert app.config["MYBLOG_WORKERS"] == 4
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"


def test_gunicorns_command_line_wins_over_its_environment(production_env):
    production_env.setattr("sys.argv", ["/srv/.venv/bin/gunicorn", "-w", "1", "myblog.wsgi:app"])
    production_env.setenv("GUNICORN_CMD_ARGS", "--workers 5")
    production_env.setenv("WEB_CONCURRENCY", "6")
    assert create_app("production", cli=False).config["MYBLOG_WORKERS"] == 1


def test_config_is_chosen_by_myblog_config(monkeypatch):
    assert config_class() is DevelopmentConfig
    monkeypatch.setenv("MYBLOG_CONFIG", "production")
    assert config_class() is ProductionConfig
    assert config_class("testing") is TestingConfig  # an explicit name wins


def test_unknown_config_name_is_an_error(monkeypatch):
    monkeypatch.setenv("MYBLOG_CONFIG", "bogus")
    with pytest.raises(RuntimeError, match="'bogus' is not one of development, production"):
        config_class()
    with pytest.raises(RuntimeError, match="bogus"):
        create_app()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", True),  # empty means unset: the default (on, in development)
    ],
)
def test_boolean_settings(tmp_path, monkeypatch, raw, expected):
    monkeypatch.setenv("MYBLOG_AUTO_MIGRATE", raw)
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_AUTO_MIGRATE"] is expected


def test_boolean_defaults_depend_on_the_environment(tmp_path):
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_AUTO_MIGRATE"] is True
    assert TestingConfig.load(tmp_path)["MYBLOG_AUTO_MIGRATE"] is False
    assert DevelopmentConfig.load(tmp_path)["MAIL_USE_TLS"] is False


def test_integer_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("MYBLOG_POSTS_PER_PAGE", "25")
    monkeypatch.setenv("MYBLOG_MAX_UPLOAD_BYTES", "1048576")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "yes")
    settings = DevelopmentConfig.load(tmp_path)
    assert settings["MYBLOG_POSTS_PER_PAGE"] == 25
    assert settings["MAX_CONTENT_LENGTH"] == 1048576
    assert settings["MAIL_PORT"] == 587
    assert settings["MAIL_USE_TLS"] is True
    monkeypatch.setenv("MYBLOG_POSTS_PER_PAGE", "")
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_POSTS_PER_PAGE"] == 10


def test_integer_settings_fail_fast_on_garbage(tmp_path, monkeypatch):
    monkeypatch.setenv("MYBLOG_POSTS_PER_PAGE", "ten")
    with pytest.raises(ValueError, match="ten"):
        DevelopmentConfig.load(tmp_path)


def test_settings_are_read_when_the_app_is_built(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("MYBLOG_POSTS_PER_PAGE", "7")
    first = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri})
    monkeypatch.setenv("MYBLOG_POSTS_PER_PAGE", "3")
    second = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri})
    assert first.config["MYBLOG_POSTS_PER_PAGE"] == 7
    assert second.config["MYBLOG_POSTS_PER_PAGE"] == 3


def test_only_the_testing_config_hashes_passwords_cheaply(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_PASSWORD_HASH"] == "scrypt"
    assert ProductionConfig.load(tmp_path)["MYBLOG_PASSWORD_HASH"] == "scrypt"
    assert TestingConfig.load(tmp_path)["MYBLOG_PASSWORD_HASH"].startswith("pbkdf2:")


def test_session_settings_and_their_defaults(tmp_path, monkeypatch):
    settings = DevelopmentConfig.load(tmp_path)
    assert settings["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    assert settings["WTF_CSRF_TIME_LIMIT"] == 8 * 3600
    assert settings["SECRET_KEY_FALLBACKS"] == []
    assert settings["MYBLOG_TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("MYBLOG_REMEMBER_DAYS", "30")
    monkeypatch.setenv("MYBLOG_CSRF_SECONDS", "3600")
    monkeypatch.setenv("MYBLOG_TRUSTED_PROXIES", " 2 ")
    monkeypatch.setenv("MYBLOG_SECRET_KEY_FALLBACKS", f" {OLD_KEY} ,, {GOOD_KEY[::-1]} ")
    settings = DevelopmentConfig.load(tmp_path)
    assert settings["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert settings["WTF_CSRF_TIME_LIMIT"] == 3600
    assert settings["MYBLOG_TRUSTED_PROXIES"] == 2
    assert settings["SECRET_KEY_FALLBACKS"] == [OLD_KEY, GOOD_KEY[::-1]]


OLD_KEY = "fedcba9876543210" * 4


def test_production_accepts_random_fallback_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("MYBLOG_SECRET_KEY_FALLBACKS", OLD_KEY)
    settings = ProductionConfig.load(tmp_path)
    assert settings["SECRET_KEY_FALLBACKS"] == [OLD_KEY]
    assert settings["SESSION_COOKIE_NAME"] == "__Host-session"
    assert settings["REMEMBER_COOKIE_NAME"] == "__Host-remember_token"


@pytest.mark.parametrize("fallbacks", ["changeme", f"{OLD_KEY},too-short", f"dev,{OLD_KEY}"])
def test_production_refuses_a_weak_fallback_key(tmp_path, monkeypatch, fallbacks):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("MYBLOG_SECRET_KEY_FALLBACKS", fallbacks)
    with pytest.raises(RuntimeError, match="MYBLOG_SECRET_KEY_FALLBACKS"):
        ProductionConfig.load(tmp_path)


def test_mail_give_up_age_and_send_timeout(tmp_path, monkeypatch):
    settings = DevelopmentConfig.load(tmp_path)
    assert (settings["MYBLOG_MAIL_GIVE_UP_DAYS"], settings["MYBLOG_MAIL_SEND_TIMEOUT"]) == (5, 10)
    monkeypatch.setenv("MYBLOG_MAIL_GIVE_UP_DAYS", "14")
    monkeypatch.setenv("MYBLOG_MAIL_SEND_TIMEOUT", "30")
    settings = DevelopmentConfig.load(tmp_path)
    assert (settings["MYBLOG_MAIL_GIVE_UP_DAYS"], settings["MYBLOG_MAIL_SEND_TIMEOUT"]) == (14, 30)
    monkeypatch.setenv("MYBLOG_MAIL_SEND_TIMEOUT", "0")
    with pytest.raises(RuntimeError, match="MYBLOG_MAIL_SEND_TIMEOUT=0 must be"):
        DevelopmentConfig.load(tmp_path)
