"""The api blueprint object; each module of the package adds its views to it."""

from flask import Blueprint

bp = Blueprint("api", "myblog.api")
