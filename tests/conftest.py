"""Shared fixtures: an app per test on a fresh database, clients, factories, query counting."""

from __future__ import annotations

import contextlib
import shutil
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from pg_support import (
    ON_POSTGRES,
    DatabasePool,
    create_database,
    database_url,
    drop_database,
    new_name,
)
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


def _build_template(uri: str, *, setup: bool) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        if setup:
            _setup_owner()
        db.session.remove()
        db.engine.dispose()  # SQLite folds the WAL into the file; PostgreSQL copies need no session


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory) -> Iterator[Any]:
    """SQLite files built once per test process: the schema alone, and the schema with the
    owner and the blog set up; each test's app starts on a copy, not on `create_all`. On
    PostgreSQL (MYBLOG_TEST_DATABASE=postgres): this process's pool of databases instead."""
    if ON_POSTGRES:
        pool = DatabasePool(lambda uri: _build_template(uri, setup=False))
        yield pool
        pool.close()
        return
    folder = tmp_path_factory.mktemp("templates")
    files = {False: folder / "schema.sqlite", True: folder / "blog.sqlite"}
    for setup, path in files.items():
        _build_template(f"sqlite:///{path}", setup=setup)
        assert not Path(f"{path}-wal").exists()
    yield files


class TestDatabases:
    """The databases one test's apps run on: SQLite files in the test's folder, or PostgreSQL
    databases from this process's pool (or made empty, for `schema=False`)."""

    def __init__(self, folder: Path, templates: Any) -> None:
        self.folder, self.templates = folder, templates
        self.pooled: list[str] = []
        self.made: list[str] = []
        self.opened: list[weakref.ref[Any]] = []
        self.count = 0

    def fresh(self, *, setup: bool, schema: bool) -> tuple[str, bool]:
        """The URI of a new database, and whether the owner is still to be set up in it."""
        self.count += 1
        if not ON_POSTGRES:
            database = self.folder / f"test{self.count - 1}.sqlite"
            if schema:
                shutil.copyfile(self.templates[setup], database)
            return f"sqlite:///{database}", False
        if not schema:
            self.made.append(new_name())
            create_database(self.made[-1])
            return database_url(self.made[-1]), False
        self.pooled.append(self.templates.take())
        return database_url(self.pooled[-1]), setup

    def watch(self, app: Flask) -> None:
        """Note every PostgreSQL connection the app opens (see close_connections)."""
        if not ON_POSTGRES:
            return
        with app.app_context():
            engine = db.engine

        def opened(dbapi_connection: Any, record: Any) -> None:
            self.opened.append(weakref.ref(dbapi_connection))

        event.listen(engine, "connect", opened)

    def close_connections(self) -> None:
        """Close what the apps' pools still had checked out after dispose(): a server thread
        of a served app (a stream, a WebSocket) may outlive its test holding one. Left open,
        it would be collected in some later test, where psycopg's ResourceWarning (an error
        in this suite) fails whatever runs then, and its database could not be emptied."""
        for ref in self.opened:
            connection = ref()
            if connection is not None and not connection.closed:
                with contextlib.suppress(Exception):
                    connection.close()

    def release(self) -> None:
        for name in self.pooled:
            self.templates.give_back(name)
        for name in self.made:
            drop_database(name)


@pytest.fixture
def make_app(tmp_path, database_templates):
    """Build an app on a fresh database (a SQLite file, or under MYBLOG_TEST_DATABASE=postgres
    a PostgreSQL database); call with overrides for special cases.

    `schema=False` leaves the database empty (for migration tests); `setup=False` leaves the
    blog without an owner (for first-run tests). An app given its own `SQLALCHEMY_DATABASE_URI`
    gets the schema by `create_all` (unless `schema=False`).
    """
    apps: list[Flask] = []
    databases = TestDatabases(tmp_path, database_templates)

    def build(*, setup: bool = True, schema: bool = True, **overrides: Any) -> Flask:
        settings = {
            "MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
            "MYBLOG_LOGIN_LIMIT": "1000 per minute",
            "MYBLOG_LOGIN_ACCOUNT_LIMIT": "1000 per minute",
            **overrides,
        }
        own = "SQLALCHEMY_DATABASE_URI" not in settings
        setup_now = schema and setup
        if own:
            settings["SQLALCHEMY_DATABASE_URI"], setup_now = databases.fresh(
                setup=setup, schema=schema
            )
        app = create_app("testing", settings)
        app.jinja_env.bytecode_cache = TEMPLATES
        databases.watch(app)
        if schema and not own:
            with app.app_context():
                db.create_all()
        if setup_now:
            with app.app_context():
                _setup_owner()
        apps.append(app)
        return app

    yield build
    from myblog.live.hub import EXTENSION_KEY, close_hub

    for app in apps:
        hub = app.extensions.get(EXTENSION_KEY)
        close_hub(app)  # a test that opened a live stream started this app's hub thread
        if hub is not None and hub.thread.is_alive():
            hub.thread.join(5)  # its last read done, before the pool goes
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    databases.close_connections()
    databases.release()


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
