"""Admin blueprint: writing and managing the blog (logged-in users only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from myblog.admin import account, comments, outbox, subscribers, taxonomy, uploads, users, views  # noqa: E402,F401
