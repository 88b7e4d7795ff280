"""Posting a comment or a reply under a post."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RequestLimit

from myblog.blog.blueprint import bp
from myblog.blog.forms import CommentForm
from myblog.blog.post_page import (
    readable_post_or_404,
    readable_view_or_404,
    render_post_page,
    viewer,
)
from myblog.extensions import csrf, limiter
from myblog.models import Comment, CommentStatus, Post
from myblog.models.types import utcnow
from myblog.services import comments as comment_service
from myblog.services.comments import submit_comment


def _comment_limit() -> str:
    return str(current_app.config["MYBLOG_COMMENT_LIMIT"])


def _too_many_comments(limit: RequestLimit) -> Response | None:
    """On a 429, give the post page back with the comment still in the form."""
    post = readable_view_or_404((request.view_args or {}).get("slug", ""))
    form = CommentForm()  # built with a CSRF token, so the next try goes through
    form.form_errors.append(
        _(
            "You are commenting too quickly. Please wait a minute and send it again: "
            "your comment is still below."
        )
    )
    return render_post_page(post, form, status=429)


@bp.route("/post/<slug>/comments", methods=["POST"])
@csrf.exempt  # the form checks its own token, so a refused comment comes back with its text
@limiter.limit(_comment_limit, methods=["POST"], on_breach=_too_many_comments)
def add_comment(slug: str) -> ResponseReturnValue:
    """Post a comment or a reply; a refused one comes back in the form with the reason."""
    post = _open_post_or_403(slug)
    form = CommentForm()
    form.require_identity = viewer() is None
    if form.validate():
        submission = form.submission(ip=request.remote_addr or "", post_id=post.id)
        try:
            comment = submit_comment(post, form.to_input(), user=viewer(), submission=submission)
        except comment_service.CommentsClosed as exc:
            abort(403, description=str(exc))
        except comment_service.CommentError as exc:
            form.form_errors.append(str(exc))
        else:
            return _thank(comment, post)
    form.keep_stamp(post.id)
    return render_post_page(readable_view_or_404(slug), form, status=400)


def _open_post_or_403(slug: str) -> Post:
    post = readable_post_or_404(slug)
    if not comment_service.accepts_comments(post, utcnow()):
        abort(403, description=_("Comments are closed for this post."))
    return post


def _thank(comment: Comment, post: Post) -> ResponseReturnValue:
    if comment.status is CommentStatus.APPROVED:
        flash(_("Thank you: your comment is published."), "success")
        anchor = f"comment-{comment.id}"
    else:
        flash(_("Thank you: your comment will appear once it is approved."), "info")
        anchor = "comments"
    return redirect(url_for("blog.show_post", slug=post.slug, _anchor=anchor))
