"""PostgreSQL fixtures: a fresh, uniquely named database per test on MYBLOG_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from support import REDIS_URL, need_service

POSTGRES_URL = os.environ.get(
    "MYBLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _database_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _admin_connection() -> Any:
    """An autocommit psycopg connection to the server's maintenance database."""
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        need_service("PostgreSQL", False, f"{POSTGRES_URL}: {exc}".strip())
        raise  # need_service has already skipped or failed the test


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3 driver) of a new empty database, dropped after the test."""
    from psycopg import sql

    name = f"myblog_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _database_url(name)
    finally:
        with _admin_connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def make_pg_app(pg_url: str, make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """Build apps (testing config) on the test's PostgreSQL database; no schema is created."""

    def build(**overrides: Any) -> Flask:
        return make_app(setup=False, schema=False, SQLALCHEMY_DATABASE_URI=pg_url, **overrides)

    return build


@pytest.fixture
def redis_client():
    """A client of the test Redis (skipped, or failed in CI, when it is not running)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        need_service("Redis", False, f"{REDIS_URL}: {exc}")
    yield client
    client.close()
