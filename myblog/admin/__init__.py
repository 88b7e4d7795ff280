"""Admin blueprint: writing and managing the blog (logged-in users only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from myblog.admin import (  # noqa: E402,F401
    access,
    account,
    comments,
    outbox,
    subscribers,
    taxonomy,
    uploads,
    users,
    views,
)
