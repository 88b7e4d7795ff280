"""Accounts blueprint: first-run setup, login and logout."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from myblog.auth import views  # noqa: E402,F401
