"""The admin blueprint object; each module of the package adds its views to it."""

from flask import Blueprint

bp = Blueprint("admin", "myblog.admin")
