"""PostgreSQL fixtures: a fresh, uniquely named database per test on MYBLOG_TEST_POSTGRES_URL;
and Redis servers of a test's own (tests/integration/redis_support.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from pg_support import create_database, database_url, drop_database, new_name
from redis_support import HungRedis, RedisServer
from support import REDIS_URL, need_service


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3 driver) of a new empty database, dropped after the test."""
    name = new_name()
    create_database(name)
    try:
        yield database_url(name)
    finally:
        drop_database(name)


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


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    need_service("redis-server", executable is not None, "no redis-server program on PATH")
    assert executable is not None
    server = RedisServer(executable)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.client.close()


@pytest.fixture
def hung_redis() -> Iterator[HungRedis]:
    server = HungRedis()
    try:
        yield server
    finally:
        server.close()
