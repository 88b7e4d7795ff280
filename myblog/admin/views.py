"""Admin views: dashboard, posts and the editor, blog settings."""

from __future__ import annotations

import enum
from datetime import UTC
from typing import TypeVar

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from myblog.admin import bp
from myblog.admin.forms import DeleteForm, PostForm, SiteForm
from myblog.extensions import db
from myblog.models import Category, CommentPolicy, Post, PostStatus, Site
from myblog.services import comments as comment_service
from myblog.services import posts as post_service
from myblog.services.site import update_site
from myblog.services.taxonomy import TaxonomyError, split_tags


@bp.before_request
@login_required
def require_login() -> None:
    """Every admin page needs a logged-in user."""


@bp.errorhandler(403)
def forbidden(error: Exception) -> ResponseReturnValue:
    # the admin's own 403 page explains roles instead of the public "not allowed"
    return render_template("admin/forbidden.html"), 403


def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


E = TypeVar("E", bound=enum.StrEnum)


def filter_arg(name: str, choices: type[E]) -> E | None:
    """A list page's ?<name>= filter: None for "all" (the default), 404 for an unknown value."""
    raw = request.args.get(name, "all")
    if raw == "all":
        return None
    if raw not in choices.__members__.values():
        abort(404)
    return choices(raw)


def editable_post(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    if not current_user.can_edit(post.author_id):
        abort(403)
    return post


@bp.route("/")
def dashboard() -> ResponseReturnValue:
    counts = post_service.status_counts(current_user)
    recent = post_service.manageable_posts(user=current_user, page=1, per_page=5)
    return render_template(
        "admin/dashboard.html",
        counts=counts,
        recent=recent.items,
        comment_counts=comment_service.status_counts(current_user),
    )


@bp.route("/posts")
def list_posts() -> ResponseReturnValue:
    # the chosen filter lives in the signed session cookie, so "Posts" reopens where you were
    raw_status = request.args.get("status", session.get("posts_filter", "all"))
    if raw_status != "all" and raw_status not in PostStatus.__members__.values():
        abort(404)
    session["posts_filter"] = raw_status
    status = None if raw_status == "all" else PostStatus(raw_status)
    page = request.args.get("page", 1, type=int) or 1
    pagination = post_service.manageable_posts(
        user=current_user, page=max(page, 1), per_page=20, status=status
    )
    counts = post_service.status_counts(current_user)
    return render_template(
        "admin/list_posts.html",
        pagination=pagination,
        status=status,
        counts=counts,
        delete_form=DeleteForm(),
    )


def _category_choices(form: PostForm) -> None:
    categories = db.session.scalars(select(Category).order_by(Category.name))
    form.category_id.choices = [SelectChoice(0, "— none —")] + [
        SelectChoice(c.id, c.name) for c in categories
    ]


def _post_input(form: PostForm, post: Post | None) -> post_service.PostInput:
    when = form.published_at.data.replace(tzinfo=UTC) if form.published_at.data else None
    # the field shows whole minutes: left as shown, it keeps the exact original time
    original = post.published_at if post is not None else None
    if original is not None and when == original.replace(second=0, microsecond=0):
        when = original
    return post_service.PostInput(
        title=form.title.data or "",
        slug=form.slug.data or "",
        body=form.body.data or "",
        status=PostStatus(form.status.data),
        published_at=when,
        category_id=form.category_id.data or None,
        tags=split_tags(form.tags.data or ""),
        allow_comments=bool(form.allow_comments.data),
    )


def _save(form: PostForm, post: Post | None) -> ResponseReturnValue | None:
    try:
        saved = post_service.save_post(
            _post_input(form, post), author=current_user._get_current_object(), post=post
        )
    except (post_service.PostError, TaxonomyError) as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    flash(f"Saved “{saved.title}” ({saved.status.value}).", "success")
    return redirect(url_for("admin.edit_post", post_id=saved.id))


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post() -> ResponseReturnValue:
    form = PostForm()
    _category_choices(form)
    if form.validate_on_submit() and (response := _save(form, None)):
        return response
    status = 400 if form.is_submitted() else 200
    return render_template("admin/edit_post.html", form=form, post=None), status


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int) -> ResponseReturnValue:
    post = editable_post(post_id)
    form = PostForm(obj=post)
    _category_choices(form)
    if request.method == "GET":
        form.category_id.data = post.category_id or 0
        form.tags.data = post_service.tag_names(post.tags)
        form.status.data = post.status.value
        form.published_at.data = (
            post.published_at.replace(tzinfo=None) if post.published_at else None
        )
    if form.validate_on_submit() and (response := _save(form, post)):
        return response
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/edit_post.html", form=form, post=post, delete_form=DeleteForm()
    ), status


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete_post(post_id: int) -> ResponseReturnValue:
    post = editable_post(post_id)
    form = DeleteForm()
    if form.validate_on_submit():
        title = post.title
        post_service.delete_post(post)
        flash(f"Deleted “{title}”.", "info")
        return redirect(url_for("admin.list_posts"))
    return render_template("admin/delete_post.html", post=post, form=form)


@bp.route("/settings", methods=["GET", "POST"])
def edit_settings() -> ResponseReturnValue:
    require_admin()
    site = db.session.scalar(select(Site).limit(1))
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        update_site(
            title=form.title.data or "",
            tagline=form.tagline.data or "",
            about=form.about.data or "",
            comment_policy=CommentPolicy(form.comment_policy.data),
            language=form.language.data,
        )
        flash("Settings saved.", "success")
        return redirect(url_for("admin.edit_settings"))
    return render_template("admin/edit_settings.html", form=form, site=g.site)
