"""The app gunicorn serves during the bench: production config plus a bare floor route."""

from __future__ import annotations

from bench import FLOOR_PATH
from myblog import create_app

app = create_app("production", cli=False)  # as myblog.wsgi serves it: no Alembic in the workers


@app.route(FLOOR_PATH)
def bench_floor() -> str:
    """The floor: Flask, the app-wide hooks and gunicorn, but no template and no query."""
    return "floor"
