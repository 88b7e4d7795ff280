"""The database connection's settings, what counts as "the database is unreachable", and the
schema's migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

from myblog.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if "sqlite" not in type(dbapi_connection).__module__:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _postgres_utc(dbapi_connection: Any, connection_record: Any) -> None:
    # extract(month …) and other date functions use the session time zone: make it UTC, like
    # the stored values and the month boundaries the queries use, whatever the server's default
    if "psycopg" not in type(dbapi_connection).__module__:
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


# SQLSTATEs of a PostgreSQL server that is shutting down, starting up or out of connections
# (class 08, connection exceptions, counts too)
_PG_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}
# SQLite's primary result codes for a file that stays locked past busy_timeout (BUSY, LOCKED),
# cannot be read (IOERR) or cannot be opened at all (CANTOPEN)
_SQLITE_UNAVAILABLE = {5, 6, 10, 14}


def unreachable(error: BaseException) -> bool:
    """True when `error` means the database cannot answer now, and a retry later may work:
    the server is down, refusing, restarting or out of connections, the connection broke, the
    pool stayed exhausted, the SQLite file cannot be opened or stays locked. An error about
    the statement or the data (a bug, a constraint) is not: that stays a 500."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:  # the dialect saw the connection break
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    original = error.orig
    if type(original).__module__.startswith("psycopg"):
        # no SQLSTATE: psycopg's own connection failures (refused, timed out, closed)
        state: str | None = getattr(original, "sqlstate", None)
        return state is None or state.startswith("08") or state in _PG_UNAVAILABLE
    code: int | None = getattr(original, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE


def engine_options(uri: str, options: dict[str, Any] | None, timeout: int) -> dict[str, Any]:
    """The engine options for the database the app really uses (tests set the URL after the
    config is read). A server's connection may have died while pooled: ping it at checkout (a
    SQLite file cannot, and a ping would cost a statement per request). PostgreSQL gets
    bounded waits: `timeout` seconds to connect, and for sent data to be acknowledged."""
    options = dict(options or {})
    backend = make_url(uri).get_backend_name()
    if backend != "sqlite":
        options.setdefault("pool_pre_ping", True)
    if backend == "postgresql":
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", timeout)
        connect_args.setdefault("tcp_user_timeout", timeout * 1000)
        options["connect_args"] = connect_args
    return options


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and set up every new connection (SQLite pragmas, PostgreSQL UTC)."""
    config = app.config
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        config["SQLALCHEMY_DATABASE_URI"],
        config.get("SQLALCHEMY_ENGINE_OPTIONS"),
        config["MYBLOG_DATABASE_TIMEOUT"],
    )
    db.init_app(app)
    for on_connect in (_sqlite_pragmas, _postgres_utc):
        if not event.contains(Engine, "connect", on_connect):
            event.listen(Engine, "connect", on_connect)


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate; only where migrations may run, since Alembic costs ~13 MB per process."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


def upgrade_database(app: Flask) -> None:
    """Bring the database schema up to the newest migration."""
    from flask_migrate import upgrade

    if "migrate" not in app.extensions:
        init_migrations(app)
    with app.app_context():
        upgrade()
