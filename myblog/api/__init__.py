"""JSON API blueprint: errors are JSON here, never HTML."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from myblog.api import views  # noqa: E402,F401
