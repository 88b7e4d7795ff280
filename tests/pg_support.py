"""PostgreSQL databases for tests: the server from MYBLOG_TEST_POSTGRES_URL, a fresh database
per app, made fast by copying a template database built once per test process.

`MYBLOG_TEST_DATABASE=postgres` makes the `app`/`make_app` fixtures of tests/conftest.py build
every app on such a database instead of a SQLite file (.ci/run runs the service, query and web
tests a second time that way).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Any

from support import need_service

POSTGRES_URL = os.environ.get(
    "MYBLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEST_DATABASE = os.environ.get("MYBLOG_TEST_DATABASE", "sqlite").strip().lower()
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise RuntimeError(f"MYBLOG_TEST_DATABASE must be sqlite or postgres, not {TEST_DATABASE!r}")
ON_POSTGRES = TEST_DATABASE == "postgres"


def database_url(database: str) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) of a database on the test server."""
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def admin_connection() -> Any:
    """An autocommit psycopg connection to the server's maintenance database (skipped, or
    failed under MYBLOG_REQUIRE_SERVICES=1, when PostgreSQL is not running)."""
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        need_service("PostgreSQL", False, f"{POSTGRES_URL}: {exc}".strip())
        raise  # need_service has already skipped or failed the test


def new_name(kind: str = "test") -> str:
    return f"myblog_{kind}_{uuid.uuid4().hex[:12]}"


def create_database(name: str, template: str | None = None) -> None:
    """CREATE DATABASE, empty or as a copy of `template` (which must have no connections)."""
    from psycopg import sql

    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        # WAL_LOG (PostgreSQL 15's default) copies a small database in ~50 ms; FILE_COPY
        # forces a checkpoint and measured 0.3-0.7 s
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with admin_connection() as conn:
        conn.execute(query)


def drop_database(name: str) -> None:
    from psycopg import sql

    with admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


POOL_PREFIX = "myblog_pool_"


def drop_orphans() -> None:
    """Drop the pool databases of test processes of this machine that are gone (killed before
    their session ended): each pool database's name carries its process id."""
    import psycopg
    from psycopg import sql

    if not os.path.isdir("/proc"):  # no way to tell a live process here: keep them all
        return
    with admin_connection() as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (POOL_PREFIX.replace("_", r"\_") + "%",),
            )
        ]
        for name in names:
            pid = name[len(POOL_PREFIX) :].split("_", 1)[0]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                with contextlib.suppress(psycopg.Error):  # another process dropped it first
                    conn.execute(drop.format(sql.Identifier(name)))


class DatabasePool:
    """This test process's PostgreSQL databases with the schema, reused test after test.

    A test takes one per app it builds; afterwards its rows are deleted and its sequences
    restarted, so the next test finds it as new (a few ms, where `CREATE DATABASE ... TEMPLATE`
    and `DROP DATABASE` measured 0.07-1.5 s each on a loaded machine). A database whose tables
    no longer match the schema (a test dropped or added one), or that cannot be cleaned, is
    dropped instead.
    """

    def __init__(self, build_schema: Any) -> None:
        self.build_schema = build_schema  # called with the URI of a new empty database
        drop_orphans()
        self.free: list[str] = []
        self.every: list[str] = []
        self.tables: set[str] | None = None

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"{POOL_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        create_database(name)
        self.every.append(name)
        self.build_schema(database_url(name))
        with _connect(name) as conn:
            # the tests never crash the server: not waiting for the WAL flush at each commit
            # saves each test its fsyncs without changing what any query sees
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
            if self.tables is None:
                self.tables = _tables(conn)
        return name

    def give_back(self, name: str) -> None:
        try:
            with _connect(name) as conn:
                conn.execute("SET lock_timeout = '5s'")
                if _tables(conn) != self.tables:
                    raise LookupError(f"{name}: the schema changed")
                _empty(conn)
        except Exception:  # noqa: BLE001 - anything odd: start over with a new database
            self.every.remove(name)
            drop_database(name)
            return
        self.free.append(name)

    def close(self) -> None:
        for name in self.every:
            drop_database(name)
        self.every.clear()
        self.free.clear()


def _connect(name: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL).set(database=name)
    return psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3)


def _tables(conn: Any) -> set[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {row[0] for row in conn.execute(query)}


def _empty(conn: Any) -> None:
    """Delete every row and restart every sequence, in one round trip and one transaction
    (the caller's `with` commits). DELETE, not TRUNCATE: on a few rows TRUNCATE costs ~0.3 s,
    DELETE ~4 ms. The replica role skips the foreign-key triggers, so the order does not matter
    (every row goes)."""
    conn.execute(
        """DO $$
        DECLARE name text;
        BEGIN
          SET LOCAL session_replication_role = replica;
          FOR name IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
            EXECUTE format('DELETE FROM %I', name);
          END LOOP;
          FOR name IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
            PERFORM setval(quote_ident(name), 1, false);
          END LOOP;
        END $$"""
    )
