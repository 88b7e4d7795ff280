"""The database connection's settings and the schema's migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

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


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and set up every new connection (SQLite pragmas, PostgreSQL UTC)."""
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
