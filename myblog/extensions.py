"""Extension objects, created unbound and initialised in create_app()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Executable, MetaData, Row
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
cache = Cache()
mail = Mail()


def read_rows(statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[*tuple[Any, ...]]]:
    """Run a read-only statement of the public pages and fetch all its rows.

    When the request already uses the ORM session (a writer, a logged-in reader), the read runs
    on the session's connection: it sees what the session wrote and takes no second
    connection. Otherwise, as for an anonymous reader, it runs on one pooled connection kept
    for the rest of the app context (one checkout, and one pre-ping on PostgreSQL, however
    many statements the page runs), sparing the session's transaction set-up and tear-down.
    """
    if db.session.registry.has() and db.session().in_transaction():
        return db.session.connection().execute(statement, params).all()
    connection = g.get("_read_connection")
    if connection is None:
        connection = g._read_connection = db.engine.connect()
    return connection.execute(statement, params).all()


def release_read_connection(exc: BaseException | None = None) -> None:
    """Give read_rows' connection back to the pool (teardown_appcontext)."""
    connection = g.pop("_read_connection", None)
    if connection is not None:
        connection.close()


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate; only where migrations may run, since Alembic costs ~13 MB per process."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
