"""Realistic fake data behind `flask forge`: Chinese and English posts, deterministic by seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Profile, Role, Tag, User
from myblog.models.types import utcnow
from myblog.services.accounts import set_password
from myblog.services.markdown import make_excerpt, render_markdown
from myblog.services.slugs import slugify

CODE_SAMPLES = [
    (
        "python",
        "from flask import Flask\n\napp = Flask(__name__)\n\n"
        "@app.route('/')\ndef index():\n    return 'Hello Flask!'\n",
    ),
    ("bash", "uv run flask db upgrade\nuv run flask forge --posts 100\n"),
    ("sql", "SELECT id, title FROM posts WHERE status = 'published' ORDER BY published_at DESC;\n"),
]


@dataclass(frozen=True)
class ForgeResult:
    posts: int
    categories: int
    tags: int


def _body(fake: Faker, rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(2, 4)):
        parts.append(f"## {fake.sentence(nb_words=4).rstrip('.。')}")
        parts.append(fake.paragraph(nb_sentences=rng.randint(3, 6)))
        if rng.random() < 0.4:
            lang, code = rng.choice(CODE_SAMPLES)
            parts.append(f"```{lang}\n{code}```")
        if rng.random() < 0.3:
            rows = "\n".join(f"| {fake.word()} | {rng.randint(1, 99)} |" for _ in range(3))
            parts.append(f"| name | value |\n| --- | --- |\n{rows}")
    return "\n\n".join(parts)


def _authors(fake: Faker) -> list[User]:
    users = list(db.session.scalars(select(User).order_by(User.id)))
    while len(users) < 3:
        name = f"{fake.user_name()}{len(users)}"
        user = User(username=name, email=f"{name}@example.com", role=Role.AUTHOR)
        set_password(user, "password123")
        user.profile = Profile(display_name=fake.name())
        db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def _terms(model: Any, fakes: list[Faker], n: int) -> list[Any]:
    existing = {t.name for t in db.session.scalars(select(model))}
    slugs = set(db.session.scalars(select(model.slug)))
    made: list[Any] = []
    i = 0
    while len(made) < n and i < n * 20:
        fake = fakes[i % len(fakes)]
        i += 1
        name = fake.word().capitalize() if model is Category else fake.word()
        slug = slugify(name, fallback=f"t{i}")
        if name in existing or slug in slugs:
            continue
        existing.add(name)
        slugs.add(slug)
        term = model(name=name, slug=slug)
        db.session.add(term)
        made.append(term)
    db.session.flush()
    return made or list(db.session.scalars(select(model)))


def forge_data(
    *,
    posts: int,
    categories: int,
    tags: int,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ForgeResult:
    """Create fake authors, categories, tags and posts; same seed gives the same data."""
    rng = random.Random(seed)
    fakes = [Faker("zh_CN"), Faker("en_US")]
    for i, fake in enumerate(fakes):
        fake.seed_instance(None if seed is None else seed + i)
    pool = _Pool(
        authors=_authors(fakes[1]),
        categories=_terms(Category, fakes, categories),
        tags=_terms(Tag, fakes, tags) if tags else [],
        slugs=set(db.session.scalars(select(Post.slug))),
    )
    batch = 500
    for start in range(0, posts, batch):
        for _ in range(min(batch, posts - start)):
            db.session.add(_fake_post(rng.choice(fakes), rng, pool))
        db.session.commit()
        if progress:
            progress(min(batch, posts - start))
    return ForgeResult(posts=posts, categories=len(pool.categories), tags=len(pool.tags))


@dataclass
class _Pool:
    """What fake posts are made from, and the slugs already taken."""

    authors: list[User]
    categories: list[Any]
    tags: list[Any]
    slugs: set[str]
    now: datetime = field(default_factory=utcnow)


def _fake_post(fake: Faker, rng: random.Random, pool: _Pool) -> Post:
    title = fake.sentence(nb_words=rng.randint(3, 7)).rstrip(".。")
    slug = base = slugify(title)
    n = 2
    while slug in pool.slugs:
        slug = f"{base}-{n}"
        n += 1
    pool.slugs.add(slug)
    body = _body(fake, rng)
    when = pool.now - timedelta(minutes=rng.randint(1, 3 * 365 * 24 * 60))
    status = PostStatus.DRAFT if rng.random() < 0.05 else PostStatus.PUBLISHED
    published = when if status is PostStatus.PUBLISHED else None
    return Post(
        title=title,
        slug=slug,
        body=body,
        body_html=render_markdown(body),
        excerpt=make_excerpt(body),
        status=status,
        published_at=published,
        announced_at=published,  # fake posts are never mailed to subscribers
        created_at=when,
        updated_at=when,
        author=rng.choice(pool.authors),
        category=rng.choice(pool.categories),
        tags=rng.sample(pool.tags, k=min(len(pool.tags), rng.randint(0, 3))),
    )
