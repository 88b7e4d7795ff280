"""The auth blueprint object; each module of the package adds its views to it."""

from flask import Blueprint

bp = Blueprint("auth", "myblog.auth")
