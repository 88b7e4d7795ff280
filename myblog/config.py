"""Configuration classes; every setting comes from the environment, read when the app is built."""

from __future__ import annotations

import os
import secrets
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
    WTF_CSRF_TIME_LIMIT = None
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
            **_limit_settings(),
            **_shared_storage_settings(redis_url),
        )
        return settings


def _database_settings(instance_path: Path) -> dict[str, Any]:
    sqlite_default = f"sqlite:///{instance_path / 'myblog.sqlite'}"
    database_url = _normalise_db_url(os.environ.get("DATABASE_URL") or sqlite_default)
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # a server connection may have been dropped while idle in the pool; a SQLite file
        # cannot, and pinging it would cost a statement on every request
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
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
        "MYBLOG_UPLOAD_DIR": uploads,
        "MYBLOG_AUTO_MIGRATE": _bool("MYBLOG_AUTO_MIGRATE", config_name == "development"),
        "PREFERRED_URL_SCHEME": os.environ.get("MYBLOG_URL_SCHEME", "http"),
        # where the blog is reached: links in mail written outside a request use it
        "MYBLOG_BASE_URL": os.environ.get("MYBLOG_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
    }


def _limit_settings() -> dict[str, Any]:
    """Rate limits per client address, and how long each kind of mailed link stays valid."""
    return {
        "MYBLOG_LOGIN_LIMIT": os.environ.get("MYBLOG_LOGIN_LIMIT", "10 per minute"),
        "MYBLOG_RESET_LIMIT": os.environ.get("MYBLOG_RESET_LIMIT", "5 per hour"),
        "MYBLOG_COMMENT_LIMIT": os.environ.get("MYBLOG_COMMENT_LIMIT", "5 per minute;30 per hour"),
        "MYBLOG_SUBSCRIBE_LIMIT": os.environ.get("MYBLOG_SUBSCRIBE_LIMIT", "5 per hour"),
        "MYBLOG_RESET_TOKEN_SECONDS": _int("MYBLOG_RESET_TOKEN_SECONDS", 3600),
        "MYBLOG_EMAIL_TOKEN_SECONDS": _int("MYBLOG_EMAIL_TOKEN_SECONDS", 86400),
        "MYBLOG_INVITE_TOKEN_SECONDS": _int("MYBLOG_INVITE_TOKEN_SECONDS", 7 * 86400),
        "MYBLOG_SUBSCRIBE_TOKEN_SECONDS": _int("MYBLOG_SUBSCRIBE_TOKEN_SECONDS", 7 * 86400),
        "MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS": _int("MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS", 365 * 86400),
    }


def _shared_storage_settings(redis_url: str | None) -> dict[str, Any]:
    """Rate-limit counters and the cache: in Redis when there is one, else in this process."""
    return {
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_DEFAULT_TIMEOUT": _int("MYBLOG_CACHE_SECONDS", 30),
    }


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


class ProductionConfig(Config):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def load(cls, instance_path: Path) -> dict[str, Any]:
        settings = super().load(instance_path)
        key = settings["SECRET_KEY"]
        if key.lower() in INSECURE_KEYS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in "
                "production (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        settings["PREFERRED_URL_SCHEME"] = os.environ.get("MYBLOG_URL_SCHEME", "https")
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
