"""The fault bench's database (created empty, forged, dropped afterwards), its nodes' settings."""

from __future__ import annotations

import http.client
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url

from bench.faults.load import OWNER
from myblog import create_app
from myblog.extensions import db
from myblog.models import CommentPolicy, Post, Subscriber
from myblog.models.types import utcnow


@dataclass
class Database:
    """A fresh PostgreSQL database of the bench's own on the machine's server."""

    admin_url: str
    name: str

    @classmethod
    def create(cls, admin_url: str) -> Database:
        name = f"myblog_faults_{uuid.uuid4().hex[:10]}"
        database = cls(admin_url, name)
        with database._admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return database

    def _admin(self) -> Engine:
        url = make_url(self.admin_url).set(drivername="postgresql+psycopg")
        return create_engine(url, isolation_level="AUTOCOMMIT")

    @property
    def port(self) -> int:
        return make_url(self.admin_url).port or 5432

    @property
    def url(self) -> str:
        """The database, reached directly (for preparing and judging)."""
        url = make_url(self.admin_url).set(drivername="postgresql+psycopg", database=self.name)
        return url.render_as_string(hide_password=False)

    def url_through(self, gate_port: int) -> str:
        """The database, reached through the bench's gate (what the nodes use)."""
        url = make_url(self.url).set(host="127.0.0.1", port=gate_port)
        return url.render_as_string(hide_password=False)

    def engine(self) -> Engine:
        return create_engine(self.url)

    def prepare(self, secret: str, *, posts: int, subscribers: int) -> list[str]:
        """Migrate, set the blog up (comments open), forge posts and confirmed subscribers;
        returns the slugs of readable posts."""
        from flask_migrate import upgrade

        from myblog.fakes import forge_data
        from myblog.services.accounts import setup_blog
        from myblog.services.site import update_site

        overrides = {
            "SECRET_KEY": secret,
            "SQLALCHEMY_DATABASE_URI": self.url,
            "REDIS_URL": None,
            "MYBLOG_MAIL_SENDER": "off",
            "CACHE_TYPE": "SimpleCache",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MYBLOG_PASSWORD_HASH": "scrypt",  # the owner signs in as in production
        }
        app = create_app("testing", overrides)
        with app.app_context():
            upgrade()
            setup_blog(
                title="Fault Bench", username="owner", email="owner@example.com", password=OWNER[1]
            )
            update_site(
                title="Fault Bench", tagline="", about="", comment_policy=CommentPolicy.OPEN
            )
            forge_data(posts=posts, categories=5, tags=20, seed=1)
            now = utcnow()
            for i in range(subscribers):
                db.session.add(
                    Subscriber(email=f"sub{i}@example.com", created_at=now, confirmed_at=now)
                )
            db.session.commit()
            slugs = list(
                db.session.scalars(select(Post.slug).where(Post.visible_clause(now)).limit(50))
            )
            db.session.remove()
            db.engine.dispose()
        return slugs

    def drop(self) -> None:
        with self._admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def node_environment(
    *, secret: str, database_url: str, redis_url: str, smtp_port: int
) -> dict[str, str]:
    """What each node and the RQ worker run with: production, shared database and Redis."""
    return {
        **os.environ,
        "FLASK_APP": "myblog",
        "MYBLOG_CONFIG": "production",
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MYBLOG_MAIL_SENDER": "rq",
        "MYBLOG_MAIL_QUEUE": f"faults-{uuid.uuid4().hex[:6]}",
        "MYBLOG_MAIL_INTERVAL": "2",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MYBLOG_URL_SCHEME": "http",
        "MYBLOG_AUTO_MIGRATE": "0",
        # every visitor of the bench comes from 127.0.0.1: per-address limits would be the test
        "MYBLOG_COMMENT_LIMIT": "100000 per minute",
        "MYBLOG_LOGIN_LIMIT": "100000 per minute",
    }


def wait_until_serving(ports: Sequence[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        port = waiting[0]
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                waiting.pop(0)
                continue
        except OSError:
            pass
        time.sleep(0.2)
    if waiting:
        raise RuntimeError(f"nodes on ports {waiting} did not come up")
