"""A worker that only serves readers does not load what only writers need (memory per worker)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

from myblog.extensions import db
from myblog.models import Category, Post

# imported on first use by writing, uploading, migrating or slugging Chinese titles
HEAVY = (
    "markdown_it",
    "mdit_py_plugins",
    "pygments",
    "PIL",
    "alembic",
    "flask_migrate",
    "pypinyin",
    # only imports and exports read front matter, convert HTML, guess encodings, parse XML
    "yaml",
    "markdownify",
    "bs4",
    "charset_normalizer",
    "defusedxml",
)

SERVE = """
import json, sys
from myblog import create_app
app = create_app("production", cli=False)  # as myblog.wsgi builds it
client = app.test_client(use_cookies=False)
codes = [client.get(path).status_code for path in sys.argv[1:]]
print(json.dumps({"codes": codes, "loaded": [m for m in %r if m in sys.modules]}))
"""


def test_serving_pages_loads_no_markdown_engine_pillow_or_alembic(app, factory, tmp_path):
    category = factory.category("Notes")
    [post_id] = factory.posts(1, category_id=category, tags=["python"])
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
        category_slug = db.session.get(Category, category).slug
        url = str(db.engine.url)
    paths = ["/", f"/post/{slug}", f"/category/{category_slug}", "/tag/python", "/archive"]
    paths += ["/feed.xml", "/feed.json", "/tag/python/feed.xml", "/sitemap.xml", "/robots.txt"]
    env = {"SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SERVE % (HEAVY,), *paths],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [200] * len(paths)
    assert result["loaded"] == []
