"""Configuration classes; every setting comes from the environment, read when the app is built."""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise RuntimeError(f"{name}={value} must be a whole number of at least 1")
    return value


def _dev_secret_key(instance_path: Path) -> str:
    """Generate a secret key once and keep it in instance/, so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


INSECURE_KEYS = {"", "dev", "changeme", "change-me", "secret", "replace-me"}


class Config:
    """Settings shared by every environment."""

    NAME = "base"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    RATELIMIT_HEADERS_ENABLED = True
    MYBLOG_THEME_COOKIE_MAX_AGE = 365 * 24 * 3600
    # werkzeug's method for new password hashes; only the testing config makes it cheaper
    MYBLOG_PASSWORD_HASH = "scrypt"

    @classmethod
    def load(cls, instance_path: Path) -> dict[str, Any]:
        """Return this environment's settings as a dict, reading the environment now."""
        redis_url = os.environ.get("REDIS_URL") or None
        settings: dict[str, Any] = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        settings.update(
            SECRET_KEY=os.environ.get("SECRET_KEY", ""),
            REDIS_URL=redis_url,
            **_database_settings(instance_path),
            **_mail_settings(cls.NAME, redis_url),
            **_blog_settings(cls.NAME, instance_path),
            **_import_settings(),
            **_limit_settings(),
            **_session_settings(),
            **_shared_storage_settings(redis_url),
            **_live_settings(),
            **_page_cache_settings(cls.NAME),
        )
        return settings


def _database_settings(instance_path: Path) -> dict[str, Any]:
    sqlite_default = f"sqlite:///{instance_path / 'myblog.sqlite'}"
    database_url = _normalise_db_url(os.environ.get("DATABASE_URL") or sqlite_default)
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # pre-ping and timeouts follow the URL: myblog/database.py:engine_options
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # seconds a PostgreSQL connection may take to open, or sent data to be acknowledged
        "MYBLOG_DATABASE_TIMEOUT": _int("MYBLOG_DATABASE_TIMEOUT", 5),
        # seconds /api/health waits for Redis to connect or answer
        "MYBLOG_HEALTH_TIMEOUT": _int("MYBLOG_HEALTH_TIMEOUT", 2),
    }


def _mail_settings(config_name: str, redis_url: str | None) -> dict[str, Any]:
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "myblog@localhost"),
        "MYBLOG_MAIL_SENDER": _mail_sender(config_name, redis_url),
        "MYBLOG_MAIL_QUEUE": os.environ.get("MYBLOG_MAIL_QUEUE") or "mail",
        "MYBLOG_MAIL_INTERVAL": _int("MYBLOG_MAIL_INTERVAL", 5),
        # a message still undelivered this many days after it was queued is given up on
        "MYBLOG_MAIL_GIVE_UP_DAYS": _positive("MYBLOG_MAIL_GIVE_UP_DAYS", 5),
        # the longest one message's SMTP conversation may take; a claim's lease is twice this
        "MYBLOG_MAIL_SEND_TIMEOUT": _positive("MYBLOG_MAIL_SEND_TIMEOUT", 10),
    }


def _blog_settings(config_name: str, instance_path: Path) -> dict[str, Any]:
    uploads = os.environ.get("MYBLOG_UPLOAD_DIR") or str(instance_path / "uploads")
    return {
        "MAX_CONTENT_LENGTH": _int("MYBLOG_MAX_UPLOAD_BYTES", 8 * 1024 * 1024),
        "MYBLOG_POSTS_PER_PAGE": _int("MYBLOG_POSTS_PER_PAGE", 10),
        # URLs per sitemap before it splits under an index (the protocol allows 50,000)
        "MYBLOG_SITEMAP_PAGE_SIZE": min(_positive("MYBLOG_SITEMAP_PAGE_SIZE", 50_000), 50_000),
        "MYBLOG_UPLOAD_DIR": uploads,
        "MYBLOG_AUTO_MIGRATE": _bool("MYBLOG_AUTO_MIGRATE", config_name == "development"),
        "PREFERRED_URL_SCHEME": os.environ.get("MYBLOG_URL_SCHEME", "http"),
        # where the blog is reached: links in mail written outside a request use it
        "MYBLOG_BASE_URL": os.environ.get("MYBLOG_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
    }


def _import_settings() -> dict[str, Any]:
    """Limits on what `flask import` and the admin's Import page read (zip bombs, huge files)."""
    mib = 1024 * 1024
    return {
        # the largest file the Import page accepts (a zip or an export file)
        "MYBLOG_IMPORT_MAX_UPLOAD_BYTES": _positive("MYBLOG_IMPORT_MAX_UPLOAD_BYTES", 64 * mib),
        # every file of a zip or folder together, uncompressed; also an export file's size
        "MYBLOG_IMPORT_MAX_TOTAL_BYTES": _positive("MYBLOG_IMPORT_MAX_TOTAL_BYTES", 512 * mib),
        # one file of a zip or folder, uncompressed (images are held to MYBLOG_MAX_UPLOAD_BYTES)
        "MYBLOG_IMPORT_MAX_FILE_BYTES": _positive("MYBLOG_IMPORT_MAX_FILE_BYTES", 16 * mib),
        "MYBLOG_IMPORT_MAX_ENTRIES": _positive("MYBLOG_IMPORT_MAX_ENTRIES", 10_000),
        # uncompressed size / compressed size of one zip entry over 1 MiB
        "MYBLOG_IMPORT_MAX_RATIO": _positive("MYBLOG_IMPORT_MAX_RATIO", 100),
    }


def _limit_settings() -> dict[str, Any]:
    """Rate limits per client address (and failed sign-ins per account), the number of processes
    serving the blog, and how long each kind of mailed link stays valid."""
    return {
        "MYBLOG_LOGIN_LIMIT": os.environ.get("MYBLOG_LOGIN_LIMIT", "10 per minute"),
        "MYBLOG_LOGIN_ACCOUNT_LIMIT": os.environ.get("MYBLOG_LOGIN_ACCOUNT_LIMIT", "20 per hour"),
        "MYBLOG_WORKERS": serving_workers(),
        "MYBLOG_RESET_LIMIT": os.environ.get("MYBLOG_RESET_LIMIT", "5 per hour"),
        "MYBLOG_COMMENT_LIMIT": os.environ.get("MYBLOG_COMMENT_LIMIT", "5 per minute;30 per hour"),
        "MYBLOG_SUBSCRIBE_LIMIT": os.environ.get("MYBLOG_SUBSCRIBE_LIMIT", "5 per hour"),
        "MYBLOG_SEARCH_LIMIT": os.environ.get("MYBLOG_SEARCH_LIMIT", "60 per minute"),
        "MYBLOG_SEARCH_CANDIDATES": _int("MYBLOG_SEARCH_CANDIDATES", 500),
        "MYBLOG_RESET_TOKEN_SECONDS": _int("MYBLOG_RESET_TOKEN_SECONDS", 3600),
        "MYBLOG_EMAIL_TOKEN_SECONDS": _int("MYBLOG_EMAIL_TOKEN_SECONDS", 86400),
        "MYBLOG_INVITE_TOKEN_SECONDS": _int("MYBLOG_INVITE_TOKEN_SECONDS", 7 * 86400),
        "MYBLOG_SUBSCRIBE_TOKEN_SECONDS": _int("MYBLOG_SUBSCRIBE_TOKEN_SECONDS", 7 * 86400),
        "MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS": _int("MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS", 365 * 86400),
    }


def _session_settings() -> dict[str, Any]:
    """How long sign-ins and form tokens last, old secret keys, and proxies to trust."""
    return {
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("MYBLOG_REMEMBER_DAYS", 14)),
        # long enough for a form kept open through a working day; the editor and the comment
        # form fetch a fresh token before they send an old one (static/js)
        "WTF_CSRF_TIME_LIMIT": _int("MYBLOG_CSRF_SECONDS", 8 * 3600),
        "SECRET_KEY_FALLBACKS": _list("MYBLOG_SECRET_KEY_FALLBACKS"),
        "MYBLOG_TRUSTED_PROXIES": _trusted_proxies(),
    }


def _live_settings() -> dict[str, Any]:
    """The live streams (myblog/live/): heartbeats, how long a long poll or a stream lasts, how
    often the database is polled without a working Redis, and how long events are kept."""
    return {
        "MYBLOG_LIVE_HEARTBEAT_SECONDS": _float("MYBLOG_LIVE_HEARTBEAT_SECONDS", 15),
        # the editor keeps unsaved work on the server this long after a change
        "MYBLOG_AUTOSAVE_SECONDS": _float("MYBLOG_AUTOSAVE_SECONDS", 3),
        "MYBLOG_LIVE_POLL_WAIT_SECONDS": _float("MYBLOG_LIVE_POLL_WAIT_SECONDS", 25),
        "MYBLOG_LIVE_STREAM_SECONDS": _float("MYBLOG_LIVE_STREAM_SECONDS", 600),
        "MYBLOG_LIVE_DB_POLL_SECONDS": _float("MYBLOG_LIVE_DB_POLL_SECONDS", 2),
        "MYBLOG_LIVE_KEEP_HOURS": _positive("MYBLOG_LIVE_KEEP_HOURS", 24),
    }


def _page_cache_settings(config_name: str) -> dict[str, Any]:
    """The page cache (myblog/pagecache.py): on unless MYBLOG_PAGE_CACHE=0 (off in testing,
    where tests that need it turn it on); how long a page is kept, its memory in each process
    without Redis, what a proxy in front may keep (s-maxage), how long a process trusts the
    content version it read from Redis, and the version file without Redis."""
    return {
        "MYBLOG_PAGE_CACHE": _bool("MYBLOG_PAGE_CACHE", config_name != "testing"),
        "MYBLOG_PAGE_CACHE_SECONDS": _positive("MYBLOG_PAGE_CACHE_SECONDS", 300),
        "MYBLOG_PAGE_CACHE_MB": _positive("MYBLOG_PAGE_CACHE_MB", 32),
        "MYBLOG_PAGE_PROXY_SECONDS": _int("MYBLOG_PAGE_PROXY_SECONDS", 1),
        "MYBLOG_PAGE_VERSION_SECONDS": min(_float("MYBLOG_PAGE_VERSION_SECONDS", 0.5), 1.0),
        "MYBLOG_PAGE_VERSION_FILE": os.environ.get("MYBLOG_PAGE_VERSION_FILE") or None,
    }


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _trusted_proxies() -> int:
    value = (os.environ.get("MYBLOG_TRUSTED_PROXIES") or "0").strip()
    if not (value.isascii() and value.isdigit()):
        raise RuntimeError(
            f"MYBLOG_TRUSTED_PROXIES={value!r} must be the number of reverse proxies in front "
            "of the app (0 when clients connect to it directly)"
        )
    return int(value)


# the cache in Redis that falls back to this process's memory while Redis cannot be reached
FALLBACK_REDIS_CACHE = "myblog.shared_storage.FallbackRedisCache"


def _shared_storage_settings(redis_url: str | None) -> dict[str, Any]:
    """Rate-limit counters and the cache: in Redis when there is one, else in this process.

    Every Redis call of the web side gives up after MYBLOG_REDIS_TIMEOUT (connect, and each
    reply), and both fall back to this process's memory while Redis is down or hung: the
    limiter through Flask-Limiter's own in-memory fallback, the cache through
    `myblog.shared_storage.FallbackRedisCache`. Both go back to Redis by themselves.
    """
    timeout = _float("MYBLOG_REDIS_TIMEOUT", 0.25)
    client = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return {
        "MYBLOG_REDIS_TIMEOUT": timeout,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": client,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # a storage failure the fallback does not cover (one in the middle of a request) lets
        # the request through, logged, instead of failing it
        "RATELIMIT_SWALLOW_ERRORS": True,
        "CACHE_TYPE": FALLBACK_REDIS_CACHE if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_OPTIONS": client if redis_url else None,
        "CACHE_DEFAULT_TIMEOUT": _int("MYBLOG_CACHE_SECONDS", 30),
    }


def serving_workers() -> int:
    """How many processes serve the blog: MYBLOG_WORKERS when set; under gunicorn, the workers
    its command line or GUNICORN_CMD_ARGS asks for (else WEB_CONCURRENCY, its default); else 1.

    A gunicorn config file is not read (it is Python, run by gunicorn alone): whoever sets the
    workers there, or runs several nodes, sets MYBLOG_WORKERS too.
    """
    if os.environ.get("MYBLOG_WORKERS"):
        return _int("MYBLOG_WORKERS", 1)
    program = Path(sys.argv[0] if sys.argv else "")
    if not (program.name.startswith("gunicorn") or program.parent.name == "gunicorn"):
        return 1
    from gunicorn.config import Config as GunicornConfig

    parser = GunicornConfig().parser()
    for args in (sys.argv[1:], shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))):
        try:
            workers = parser.parse_known_args(args)[0].workers
        except SystemExit:  # arguments gunicorn itself refuses: it will say so
            continue
        if workers is not None:
            return int(workers)
    return _int("WEB_CONCURRENCY", 1)


def check_shared_limits(workers: int, redis_url: str | None) -> None:
    """Refuse several serving processes without Redis: each would count the limits alone."""
    if workers > 1 and not redis_url:
        raise RuntimeError(
            f"{workers} processes would serve this blog (MYBLOG_WORKERS, or gunicorn's -w), but "
            "without REDIS_URL each keeps its own rate-limit counters, so every limit (sign-in, "
            f"comments, subscriptions, resets) would let {workers} times as many requests "
            "through. Set REDIS_URL so that they share the counters, or serve with one worker "
            "process (gunicorn -w 1 --threads 8)."
        )


MAIL_SENDERS = ("thread", "rq", "off")


def check_mail_sender(sender: str, redis_url: str | None) -> None:
    """Refuse an unknown MYBLOG_MAIL_SENDER, and "rq" without a Redis to queue in."""
    if sender not in MAIL_SENDERS:
        raise RuntimeError(f"MYBLOG_MAIL_SENDER={sender!r} is not one of {', '.join(MAIL_SENDERS)}")
    if sender == "rq" and not redis_url:
        raise RuntimeError("MYBLOG_MAIL_SENDER=rq needs REDIS_URL: the RQ queue lives in Redis")


def _mail_sender(config_name: str, redis_url: str | None) -> str:
    # unset: "off" in testing, "rq" when there is a Redis to queue in, else the embedded thread
    sender = (os.environ.get("MYBLOG_MAIL_SENDER") or "").strip().lower()
    if not sender:
        return "off" if config_name == "testing" else "rq" if redis_url else "thread"
    check_mail_sender(sender, redis_url)
    return sender


def _normalise_db_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class DevelopmentConfig(Config):
    NAME = "development"

    @classmethod
    def load(cls, instance_path: Path) -> dict[str, Any]:
        settings = super().load(instance_path)
        if settings["SECRET_KEY"] in INSECURE_KEYS:
            settings["SECRET_KEY"] = _dev_secret_key(instance_path)
        return settings


class TestingConfig(Config):
    NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
    MAIL_SUPPRESS_SEND = True
    # one iteration: hashing the owner's password in every test would cost ~0.3 s each time
    MYBLOG_PASSWORD_HASH = "pbkdf2:sha256:1"

    @classmethod
    def load(cls, instance_path: Path) -> dict[str, Any]:
        settings = super().load(instance_path)
        settings["SECRET_KEY"] = "testing-secret-key-not-for-production"
        settings["RATELIMIT_STORAGE_URI"] = "memory://"
        return settings


def _check_production_key(name: str, key: str) -> None:
    if key.lower() in INSECURE_KEYS or len(key) < 32:
        raise RuntimeError(
            f"{name} must be a random value of at least 32 characters in production "
            "(python -c 'import secrets; print(secrets.token_hex(32))')."
        )


class ProductionConfig(Config):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # "__Host-": browsers keep such a cookie only if it is Secure, for the whole site (Path=/)
    # and for this exact host (no Domain), so a sibling subdomain cannot set or shadow it
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def load(cls, instance_path: Path) -> dict[str, Any]:
        settings = super().load(instance_path)
        _check_production_key("SECRET_KEY", settings["SECRET_KEY"])
        for old_key in settings["SECRET_KEY_FALLBACKS"]:
            _check_production_key("Each key in MYBLOG_SECRET_KEY_FALLBACKS", old_key)
        settings["PREFERRED_URL_SCHEME"] = os.environ.get("MYBLOG_URL_SCHEME", "https")
        check_shared_limits(settings["MYBLOG_WORKERS"], settings["REDIS_URL"])
        return settings


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name: str | None = None) -> type[Config]:
    """Pick the config class named by MYBLOG_CONFIG (development when unset)."""
    name = name or os.environ.get("MYBLOG_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"MYBLOG_CONFIG={name!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
