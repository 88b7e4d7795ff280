"""The public read path: what listings and the post page read, as plain values.

Readers' pages are most of the traffic, so their reads take a short road:
- each statement is built once (`@statement`) and run again with bound parameters, so
  SQLAlchemy computes its cache key and result metadata once per process;
- `rows()` runs it on a pooled connection kept for the app context, outside the ORM session
  (no identity map, no session transaction to set up and tear down), unless the request's
  session is already at work, in which case it runs there and sees the session's writes;
- rows are read by column label into frozen dataclasses (`listings.PostCard`,
  `post_page.PostView`, …), never by position.
Queries import models and extensions only; services may import queries, never the reverse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from flask import Flask, g
from sqlalchemy import Connection, Executable, Row
from sqlalchemy.exc import DBAPIError

from myblog.extensions import db

S = TypeVar("S")


def statement(build: Callable[..., S]) -> Callable[..., S]:
    """Build a statement once per set of arguments and hand out that same object afterwards."""
    return cache(build)


def rows(query: Executable, params: Mapping[str, Any]) -> Sequence[Row[*tuple[Any, ...]]]:
    """Run a read-only statement of the public pages and fetch all its rows.

    When the request already uses the ORM session (a writer, a logged-in reader), the read runs
    on the session's connection: it sees what the session wrote and takes no second
    connection. Otherwise it runs on one pooled connection kept for the rest of the app
    context: one checkout (and one pre-ping on PostgreSQL) however many statements a page runs.
    """
    if db.session.registry.has() and db.session().in_transaction():
        return db.session.connection().execute(query, params).all()
    connection: Connection | None = g.get("_read_connection")
    if connection is None:
        connection = g._read_connection = db.engine.connect()
    return connection.execute(query, params).all()


def release_connection(exc: BaseException | None = None) -> None:
    """Give rows()' connection back to the pool (teardown_appcontext); never raises."""
    connection: Connection | None = g.pop("_read_connection", None)
    if connection is None:
        return
    try:
        connection.close()
    except DBAPIError:
        # the database went away during the request: the page already has its answer (a 503),
        # and a teardown that raised would turn it into a bare 500; the pool drops the link
        with contextlib.suppress(Exception):
            connection.invalidate()


def init_app(app: Flask) -> None:
    """Give the read connection back when each app context ends."""
    app.teardown_appcontext(release_connection)
