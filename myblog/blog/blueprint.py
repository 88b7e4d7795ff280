"""The blog blueprint object; each module of the package adds its views to it."""

from flask import Blueprint

bp = Blueprint("blog", "myblog.blog")
