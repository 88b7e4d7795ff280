"""Forge the bench's data set: migrate an empty database, set the blog up, fake N posts."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask
from sqlalchemy import MetaData, create_engine, func, inspect, select

from bench import FLOOR_PATH
from bench.loadgen import Target
from myblog import create_app
from myblog.extensions import db
from myblog.models import Category, Post
from myblog.models.types import utcnow

CATEGORIES = 10
TAGS = 50
SEED = 1
POST_SAMPLE = 20  # post pages the load rotates through


@dataclass(frozen=True)
class DataSet:
    """A forged database and the real slugs the load asks for."""

    url: str
    posts: int
    post_slugs: tuple[str, ...]
    category_slug: str
    forge_seconds: float

    def targets(self) -> list[Target]:
        """The floor first, then the pages, with real slugs from the forged data."""
        return [
            Target("floor", (FLOOR_PATH,)),
            Target("home", ("/",)),
            Target("post", tuple(f"/post/{quote(slug)}" for slug in self.post_slugs)),
            Target("category", (f"/category/{quote(self.category_slug)}",)),
        ]


@contextmanager
def app_for(url: str) -> Iterator[Flask]:
    """A production app on this database (SECRET_KEY must be in the environment)."""
    os.environ["DATABASE_URL"] = url
    app = create_app("production")
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def ensure_empty(url: str) -> None:
    """Refuse to write into a database that already has tables in it."""
    engine = create_engine(url.replace("postgres://", "postgresql+psycopg://", 1))
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(
            f"The bench database must be empty (it fills and then wipes it); it has {len(tables)} "
            f"tables: {', '.join(sorted(tables)[:8])}"
        )


def wipe() -> None:
    """Drop every table of the current app's database (one the bench found empty)."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)


def dataset_of(url: str, *, forge_seconds: float = 0.0) -> DataSet:
    """Describe the database of the current app context: its size and the slugs to load."""
    visible = Post.visible_clause(utcnow())
    slugs = list(db.session.scalars(select(Post.slug).where(visible).order_by(Post.id)))
    sample = random.Random(SEED).sample(slugs, k=min(POST_SAMPLE, len(slugs)))
    # the busiest category: its listing is the one that grows with the data
    category = db.session.scalar(
        select(Category.slug)
        .join(Post, Post.category_id == Category.id)
        .where(visible)
        .group_by(Category.id)
        .order_by(func.count(Post.id).desc(), Category.id)
        .limit(1)
    )
    if not sample or category is None:
        raise RuntimeError("the forged data set has no readable post")
    return DataSet(
        url=url,
        posts=db.session.scalar(select(func.count(Post.id))) or 0,
        post_slugs=tuple(sample),
        category_slug=category,
        forge_seconds=forge_seconds,
    )


def forge(url: str, posts: int) -> DataSet:
    """Migrate the database, create the owner and forge the posts; returns what to load."""
    from flask_migrate import upgrade

    from myblog.fakes import forge_data
    from myblog.services.accounts import setup_blog

    with app_for(url):
        upgrade()
        setup_blog(
            title="Bench Blog",
            username="owner",
            email="owner@example.com",
            password="bench-owner-password",
        )
        started = time.perf_counter()
        forge_data(posts=posts, categories=CATEGORIES, tags=TAGS, seed=SEED)
        return dataset_of(url, forge_seconds=time.perf_counter() - started)
