"""Realistic fake data behind `flask forge`: Chinese and English posts, deterministic by seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import insert, select, text

from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Profile, Role, Tag, User, post_tags
from myblog.models.types import utcnow
from myblog.services import search
from myblog.services.accounts import set_password
from myblog.services.markdown import make_excerpt, render_markdown
from myblog.services.search.documents import build_document
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


def _body(fake: Faker, rng: random.Random, sections: int | None = None) -> str:
    parts: list[str] = []
    for _ in range(sections or rng.randint(2, 4)):
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
    """Create fake authors, categories, tags and posts; same seed gives the same data.

    Posts go in by bulk INSERTs of a thousand, with their tags and search index entries; their
    bodies are drawn from a few hundred sections rendered once per language, so that a hundred
    thousand posts take minutes, not hours (the rendering is what costs)."""
    rng = random.Random(seed)
    fakes = [Faker("zh_CN"), Faker("en_US")]
    for i, fake in enumerate(fakes):
        fake.seed_instance(None if seed is None else seed + i)
    pool = _Pool(
        authors=[user.id for user in _authors(fakes[1])],
        categories=[term.id for term in _terms(Category, fakes, categories)],
        tags=[(term.id, term.name) for term in (_terms(Tag, fakes, tags) if tags else [])],
        slugs=set(db.session.scalars(select(Post.slug))),
        languages=[_Language(fake, rng, chinese=i == 0) for i, fake in enumerate(fakes)],
    )
    batch = 1000
    for start in range(0, posts, batch):
        size = min(batch, posts - start)
        _insert([_fake_post(rng, pool) for _ in range(size)])
        db.session.commit()
        if progress:
            progress(size)
    if db.session.get_bind().dialect.name == "postgresql":
        # the planner's statistics and a tidy search index, now rather than when autovacuum
        # gets round to it
        search.settle_index(db.session.connection())
        db.session.execute(text("ANALYZE posts, post_tags, post_search"))
        db.session.commit()
    return ForgeResult(posts=posts, categories=len(pool.categories), tags=len(pool.tags))


@dataclass(frozen=True)
class _Section:
    """A piece of a body: its Markdown, rendered once."""

    markdown: str
    html: str
    excerpt: str


class _Language:
    """One language's sections and title words (with their slugs, made once)."""

    SECTIONS = 300
    WORDS = 600

    def __init__(self, fake: Faker, rng: random.Random, *, chinese: bool) -> None:
        self.chinese = chinese
        self.sections = []
        for _ in range(self.SECTIONS):
            markdown = _body(fake, rng, sections=1)
            self.sections.append(
                _Section(markdown, render_markdown(markdown), make_excerpt(markdown))
            )
        words = {fake.word() for _ in range(self.WORDS)}
        self.words = sorted((word, slugify(word, fallback="w")) for word in words)

    def title(self, rng: random.Random) -> tuple[str, str]:
        """A title of three to seven words, and its slug."""
        picked = rng.sample(self.words, k=min(len(self.words), rng.randint(3, 7)))
        joiner = "" if self.chinese else " "
        title = joiner.join(word for word, _ in picked)
        return (title if self.chinese else title.capitalize()), "-".join(s for _, s in picked)


@dataclass
class _Pool:
    """What fake posts are made from, and the slugs already taken."""

    authors: list[int]
    categories: list[int]
    tags: list[tuple[int, str]]
    slugs: set[str]
    languages: list[_Language]
    now: datetime = field(default_factory=utcnow)


def _fake_post(rng: random.Random, pool: _Pool) -> dict[str, Any]:
    language = rng.choice(pool.languages)
    title, slug = language.title(rng)
    base, n = slug[:190], 2
    slug = base
    while slug in pool.slugs:
        slug = f"{base}-{n}"
        n += 1
    pool.slugs.add(slug)
    sections = rng.sample(language.sections, k=rng.randint(2, 4))
    if rng.random() < 0.15:  # notes that mix both languages
        sections.append(rng.choice(rng.choice(pool.languages).sections))
    when = pool.now - timedelta(minutes=rng.randint(1, 3 * 365 * 24 * 60))
    status = PostStatus.DRAFT if rng.random() < 0.05 else PostStatus.PUBLISHED
    published = when if status is PostStatus.PUBLISHED else None
    tags = rng.sample(pool.tags, k=min(len(pool.tags), rng.randint(0, 3)))
    return {
        "title": title,
        "slug": slug,
        "body": "\n\n".join(section.markdown for section in sections),
        "body_html": "\n".join(section.html for section in sections),
        "summary": "",
        "excerpt": sections[0].excerpt,
        "status": status,
        "published_at": published,
        "announced_at": published,  # fake posts are never mailed to subscribers
        "created_at": when,
        "updated_at": when,
        "allow_comments": True,
        "author_id": rng.choice(pool.authors),
        "category_id": rng.choice(pool.categories),
        "tags": tags,
    }


def _insert(rows: list[dict[str, Any]]) -> None:
    """INSERT the posts, their tags and their search index entries, in bulk."""
    tags = [row.pop("tags") for row in rows]
    ids = db.session.scalars(
        insert(Post).returning(Post.id, sort_by_parameter_order=True), rows
    ).all()
    links = [
        {"post_id": post_id, "tag_id": tag_id}
        for post_id, post_tags_ in zip(ids, tags, strict=True)
        for tag_id, _name in post_tags_
    ]
    if links:
        db.session.execute(insert(post_tags), links)
    documents = [
        build_document(post_id, row["title"], [name for _id, name in post_tags_], row["body_html"])
        for post_id, row, post_tags_ in zip(ids, rows, tags, strict=True)
    ]
    connection = db.session.connection()
    search.backend(connection).write(connection, documents)
