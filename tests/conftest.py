"""Shared fixtures: an app per test on a fresh database, clients, factories, query counting."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import event
from support import OWNER_PASSWORD, Factory, QueryCounter

from myblog import create_app
from myblog.extensions import db
from myblog.services.accounts import setup_blog


class SharedBytecode(BytecodeCache):
    """Compiled templates kept for the whole test process, so each test's new app skips
    compiling them again (keyed by name and source checksum, so an edited template recompiles)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedBytecode()


def _setup_owner() -> None:
    setup_blog(
        title="Test Blog", username="owner", email="owner@example.com", password=OWNER_PASSWORD
    )


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory) -> dict[bool, Path]:
    """SQLite files built once per test process: the schema alone, and the schema with the
    owner and the blog set up. Each test's app starts on a copy, not on `create_all`."""
    folder = tmp_path_factory.mktemp("templates")
    templates = {False: folder / "schema.sqlite", True: folder / "blog.sqlite"}
    for setup, path in templates.items():
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        with app.app_context():
            db.create_all()
            if setup:
                _setup_owner()
            db.session.remove()
            db.engine.dispose()  # the last connection closing folds the WAL into the file
        assert not Path(f"{path}-wal").exists()
    return templates


@pytest.fixture
def make_app(tmp_path, database_templates):
    """Build an app on a fresh SQLite file; call with overrides for special cases.

    `schema=False` leaves the database empty (for migration tests); `setup=False` leaves the
    blog without an owner (for first-run tests).
    """
    apps: list[Flask] = []

    def build(*, setup: bool = True, schema: bool = True, **overrides: Any) -> Flask:
        database = tmp_path / f"test{len(apps)}.sqlite"
        settings = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
            "MYBLOG_LOGIN_LIMIT": "1000 per minute",
            "MYBLOG_LOGIN_ACCOUNT_LIMIT": "1000 per minute",
            **overrides,
        }
        own_file = settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
        if schema and own_file:
            shutil.copyfile(database_templates[setup], database)
        app = create_app("testing", settings)
        app.jinja_env.bytecode_cache = TEMPLATES
        if schema and not own_file:
            with app.app_context():
                db.create_all()
                if setup:
                    _setup_owner()
        apps.append(app)
        return app

    yield build
    from myblog.live.hub import close_hub

    for app in apps:
        close_hub(app)  # a test that opened a live stream started this app's hub thread
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context, for tests that call services directly."""
    with app.app_context():
        yield


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


@pytest.fixture
def count_queries(app: Flask):
    """Context manager counting the SQL statements run inside it."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine

        def before(conn, cursor, statement, params, context, executemany):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
