"""A post's revisions: the list, a diff between any two, restoring one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from myblog.admin.access import editable_post
from myblog.admin.blueprint import bp
from myblog.admin.forms import ActionForm
from myblog.services import posts as post_service
from myblog.services import revisions
from myblog.web import or_404


@bp.route("/posts/<id:post_id>/revisions")
def list_revisions(post_id: int) -> ResponseReturnValue:
    """A post's revisions, newest first; with ?old=&new=, the diff between those two."""
    post = editable_post(post_id)
    history = revisions.revisions_of(post)
    by_id = {revision.id: revision for revision in history}
    old = by_id.get(request.args.get("old", type=int) or 0)
    new = by_id.get(request.args.get("new", type=int) or 0)
    diff = revisions.compare(old, new) if old and new else None
    return render_template(
        "admin/list_revisions.html",
        post=post,
        revisions=history,
        old=old,
        new=new,
        diff=diff,
        form=ActionForm(),
    )


@bp.route("/posts/<id:post_id>/revisions/<id:revision_id>/restore", methods=["POST"])
def restore_revision(post_id: int, revision_id: int) -> ResponseReturnValue:
    """Save the post again with this revision's title and body, as a new revision."""
    post = editable_post(post_id)
    revision = or_404(revisions.revision_of(post, revision_id))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.list_revisions", post_id=post.id))
    try:
        post_service.restore_revision(post, revision, user=current_user._get_current_object())
    except post_service.PostError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.list_revisions", post_id=post.id))
    flash(_("Restored revision %(number)s as a new revision.", number=revision.id), "success")
    return redirect(url_for("admin.edit_post", post_id=post.id))
