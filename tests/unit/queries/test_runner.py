"""queries.rows: public reads outside the ORM session, unless the session is already at work."""

from __future__ import annotations

from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Category
from myblog.queries import rows as read_rows

COUNT = select(func.count(Category.id))


def test_an_anonymous_read_leaves_the_session_untouched(app):
    with app.test_request_context("/"):
        pool = db.engine.pool
        assert read_rows(COUNT, {}) == [(0,)]
        assert read_rows(COUNT, {}) == [(0,)]
        assert not db.session.registry.has()  # no session was made, so none to tear down
        assert db.engine.pool.checkedout() == 1  # one connection for the whole request
    assert pool.checkedout() == 0  # given back when the request ended


def test_a_read_sees_what_the_session_has_written_but_not_committed(app):
    with app.test_request_context("/"):
        db.session.add(Category(name="Drafts", slug="drafts"))
        db.session.flush()
        assert read_rows(COUNT, {}) == [(1,)]
        assert db.engine.pool.checkedout() == 1  # the session's own connection, not a second
        db.session.rollback()
        assert read_rows(COUNT, {}) == [(0,)]


def test_an_anonymous_home_page_uses_no_session(app, client, factory):
    factory.posts(3)
    assert client.get("/").status_code == 200  # the site settings are cached from here on
    with app.test_request_context("/"):
        app.preprocess_request()
        page = app.full_dispatch_request()
        assert page.status_code == 200 and "Post number 2" in page.get_data(as_text=True)
        assert not db.session.registry.has()


def test_a_connection_the_database_dropped_is_let_go_without_an_error(app):
    from flask import g
    from sqlalchemy.exc import OperationalError

    from myblog.queries import release_connection

    with app.test_request_context("/"):
        assert read_rows(COUNT, {}) == [(0,)]
        connection = g._read_connection

        def broken_close() -> None:
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

        connection.close = broken_close
        release_connection()  # must not raise: the page already has its answer
        assert "_read_connection" not in g
        assert connection.invalidated
