"""Comment moderation: the queue by status, single and bulk approve / spam / delete."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from myblog.admin.blueprint import bp
from myblog.admin.forms import ActionForm
from myblog.models import CommentStatus
from myblog.services import comments as comment_service
from myblog.web import id_value, page_arg


def _status_arg(raw: str | None) -> CommentStatus:
    if raw is None or raw not in CommentStatus.__members__.values():
        abort(404)
    return CommentStatus(raw)


@bp.route("/comments")
def list_comments() -> ResponseReturnValue:
    """The moderation queue for one status, with counts and the moderation buttons."""
    status = _status_arg(request.args.get("status", CommentStatus.PENDING.value))
    comments = comment_service.moderation_queue(current_user, status=status, page=page_arg())
    return render_template(
        "admin/list_comments.html",
        comments=comments,
        status=status,
        counts=comment_service.status_counts(current_user),
        form=ActionForm(),
        actions=comment_service.Action.ALL,
    )


@bp.route("/comments/moderate", methods=["POST"])
def moderate_comments() -> ResponseReturnValue:
    """Apply one action to the ticked comments (or the one whose button was pressed)."""
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; please try again."))
    action = request.form.get("action", "")
    if action not in comment_service.Action.ALL:
        abort(400, description=_("Choose approve, spam or delete."))
    ids = _chosen_ids()
    if not ids:
        flash(_("Tick at least one comment."), "warning")
    else:
        changed = comment_service.moderate(current_user, action, ids)
        flash(_moderated(action, changed), "success")
    return redirect(url_for("admin.list_comments", status=_status_back()))


def _moderated(action: str, changed: int) -> str:
    if action == comment_service.Action.APPROVE:
        return ngettext("Approve: %(num)d comment.", "Approve: %(num)d comments.", changed)
    if action == comment_service.Action.SPAM:
        return ngettext("Spam: %(num)d comment.", "Spam: %(num)d comments.", changed)
    return ngettext("Delete: %(num)d comment.", "Delete: %(num)d comments.", changed)


def _chosen_ids() -> list[int]:
    # a comment's own button sends ?one=<id>; the bulk buttons act on the ticked boxes
    raw = [request.args["one"]] if "one" in request.args else request.form.getlist("ids")
    return [i for i in map(id_value, raw) if i is not None]


def _status_back() -> str:
    back = request.form.get("status", CommentStatus.PENDING.value)
    return back if back in CommentStatus.__members__.values() else CommentStatus.PENDING.value
