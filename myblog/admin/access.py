"""Who may use the admin: every page needs a login, site-wide pages an admin, a post its editor."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from myblog.admin.blueprint import bp
from myblog.models import Post
from myblog.services.posts import post_by_id
from myblog.web import or_404


@bp.before_request
@login_required
def require_login() -> None:
    """Every admin page needs a logged-in user."""


@bp.errorhandler(403)
def forbidden(error: Exception) -> ResponseReturnValue:
    # the admin's own 403 page explains roles instead of the public "not allowed"
    return render_template("admin/forbidden.html"), 403


def require_admin() -> None:
    """Refuse (403) everyone but the owner and admins."""
    if not current_user.is_admin:
        abort(403)


def editable_post(post_id: int) -> Post:
    """The post to edit: 404 when there is none, 403 when this user may not edit it."""
    post = or_404(post_by_id(post_id))
    if not current_user.can_edit(post.author_id):
        abort(403)
    return post
