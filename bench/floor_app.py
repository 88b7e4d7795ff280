"""The floor: a separate minimal Flask app, one route returning a short string, served by the
same gunicorn command line as myblog. What no page of myblog can beat without a cache."""

from __future__ import annotations

from flask import Flask

from bench import FLOOR_PATH

app = Flask(__name__)


@app.route(FLOOR_PATH)
def floor() -> str:
    """A short string: Flask's routing, request context and response, and gunicorn."""
    return "floor"
