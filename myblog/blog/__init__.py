"""Public blueprint: what readers see."""

from flask import Blueprint

bp = Blueprint("blog", __name__)

from myblog.blog import comments, subscriptions, views  # noqa: E402,F401
