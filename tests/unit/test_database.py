"""What counts as "the database is unreachable" (a 503) and what is a bug (a 500); the engine
options that follow the database URL."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from myblog.database import engine_options, unreachable


def sqlite_error(tmp_path, sql: str, *, url: str | None = None) -> DBAPIError:
    engine = create_engine(url or f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


def test_a_sqlite_file_that_cannot_be_opened_is_unreachable(tmp_path):
    error = sqlite_error(tmp_path, "SELECT 1", url=f"sqlite:///{tmp_path / 'missing' / 'db'}")
    assert isinstance(error, OperationalError)
    assert unreachable(error)


def test_a_sqlite_file_locked_past_busy_timeout_is_unreachable(tmp_path):
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
        with pytest.raises(OperationalError) as caught, engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        engine.dispose()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in str(caught.value)
    assert unreachable(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM no_such_table",  # a missing migration or a typo: a bug
        "SELEC 1",  # a syntax error
    ],
)
def test_errors_about_the_statement_are_bugs(tmp_path, sql):
    error = sqlite_error(tmp_path, sql)
    assert not unreachable(error)


def test_a_constraint_is_a_bug_and_other_exceptions_are_not_outages(tmp_path):
    error = sqlite_error(tmp_path, "SELECT 1 WHERE RAISE(ABORT, 'x')")
    assert not unreachable(error)
    constraint = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not unreachable(constraint)
    assert not unreachable(RuntimeError("nothing to do with the database"))
    assert not unreachable(ProgrammingError("SELECT", {}, Exception("bad")))


def test_a_broken_connection_and_an_exhausted_pool_are_unreachable():
    broken = InterfaceError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert unreachable(broken)
    assert not unreachable(InterfaceError("SELECT 1", {}, Exception("cursor closed")))
    assert unreachable(PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))


def test_engine_options_follow_the_url_the_app_really_uses():
    assert engine_options("sqlite:////tmp/x.sqlite", {}, 5) == {}
    options = engine_options("postgresql+psycopg://u@h/db", None, 5)
    assert options == {
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": 5, "tcp_user_timeout": 5000},
    }
    # what the settings give explicitly wins, and is not modified in place
    given = {"pool_pre_ping": False, "connect_args": {"options": "-c timezone=UTC"}}
    options = engine_options("postgresql+psycopg://u@h/db", given, 2)
    assert options["pool_pre_ping"] is False
    assert options["connect_args"] == {
        "options": "-c timezone=UTC",
        "connect_timeout": 2,
        "tcp_user_timeout": 2000,
    }
    assert given == {"pool_pre_ping": False, "connect_args": {"options": "-c timezone=UTC"}}
