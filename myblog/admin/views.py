"""Admin views: dashboard, posts and the editor, blog settings."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from myblog.admin.access import editable_post, require_admin
from myblog.admin.blueprint import bp
from myblog.admin.forms import DeleteForm, PostForm, SiteForm
from myblog.models import CommentPolicy, FeedContent, Post, PostStatus
from myblog.services import comments as comment_service
from myblog.services import hotlinks, outbox_admin, revisions, taxonomy
from myblog.services import posts as post_service
from myblog.services.site import settings_row, update_site
from myblog.web import filter_arg, page_arg


@bp.route("/")
def dashboard() -> ResponseReturnValue:
    """The writer's start page: posts and comments by status, and the latest posts; for admins,
    a warning when mail has not been going out for a while."""
    counts = post_service.status_counts(current_user)
    recent = post_service.manageable_posts(user=current_user, page=1, per_page=5)
    return render_template(
        "admin/dashboard.html",
        counts=counts,
        recent=recent.items,
        comment_counts=comment_service.status_counts(current_user),
        mail_trouble=outbox_admin.relay_trouble() if current_user.is_admin else None,
    )


@bp.route("/posts")
def list_posts() -> ResponseReturnValue:
    """The posts this user may manage, by status and matching ?q=; the list reopens on the last
    status chosen."""
    # the chosen filter lives in the signed session cookie, so "Posts" reopens where you were
    status = filter_arg("status", PostStatus, default=session.get("posts_filter", "all"))
    session["posts_filter"] = status.value if status is not None else "all"
    search = " ".join(request.args.get("q", "").split())
    pagination = post_service.manageable_posts(
        user=current_user, page=page_arg(), per_page=20, status=status, search=search
    )
    return render_template(
        "admin/list_posts.html",
        pagination=pagination,
        status=status,
        search=search,
        counts=post_service.status_counts(current_user),
        delete_form=DeleteForm(),
    )


def _post_form(post: Post | None) -> PostForm:
    form = PostForm(obj=post)
    form.offer_categories(taxonomy.categories())
    form.use_zone(g.site.timezone)
    if post is not None and not form.is_submitted():
        form.fill_from(post)
    if not form.is_submitted():
        form.copy_images.data = g.site.copy_remote_images
    return form


def _save(form: PostForm, post: Post | None) -> ResponseReturnValue | None:
    try:
        saved = post_service.save_post(
            form.to_input(post), author=current_user._get_current_object(), post=post
        )
    except (post_service.PostError, taxonomy.TaxonomyError) as exc:
        form.form_errors.append(str(exc))
        return None
    flash(_saved(saved.status) % {"title": saved.title}, "success")
    if form.copy_images.data:
        _copy_images(saved)
    return redirect(url_for("admin.edit_post", post_id=saved.id))


def _saved(status: PostStatus) -> str:
    if status is PostStatus.PUBLISHED:
        return str(_("Saved “%(title)s” (published)."))
    if status is PostStatus.SCHEDULED:
        return str(_("Saved “%(title)s” (scheduled)."))
    return str(_("Saved “%(title)s” (draft)."))


# the newest revisions listed under the editor; the revisions page has them all
RECENT_REVISIONS = 5


def _copy_images(post: Post) -> None:
    """Copy the saved post's remote images and say how it went (the post is saved already)."""
    result = hotlinks.copy_post_images(post, uploader=current_user._get_current_object())
    if result.copied:
        count = len(result.copied)
        flash(ngettext("%(num)d remote image copied.", "%(num)d remote images copied.", count))
    if result.refused:
        reasons = "; ".join(result.refused.values())
        message = _("Not copied, their links stay as they were: %(reasons)s", reasons=reasons)
        flash(message, "warning")


def _editor(form: PostForm, post: Post | None) -> ResponseReturnValue:
    # a form sent back with errors holds work not saved yet; a fresh editor offers the
    # writer's autosave of this post (or of their new post) made since its last save
    submitted = form.is_submitted()
    pending = None if submitted else revisions.pending_autosave(user=current_user, post=post)
    return render_template(
        "admin/edit_post.html",
        form=form,
        post=post,
        pending=pending,
        recent=revisions.revisions_of(post, limit=RECENT_REVISIONS) if post is not None else [],
        delete_form=DeleteForm(),
    ), (400 if submitted else 200)


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post() -> ResponseReturnValue:
    """The editor for a new post."""
    form = _post_form(None)
    if form.validate_on_submit() and (response := _save(form, None)):
        return response
    return _editor(form, None)


@bp.route("/posts/<id:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int) -> ResponseReturnValue:
    """The editor for a post this user may edit."""
    post = editable_post(post_id)
    form = _post_form(post)
    if form.validate_on_submit() and (response := _save(form, post)):
        return response
    return _editor(form, post)


@bp.route("/posts/<id:post_id>/delete", methods=["GET", "POST"])
def delete_post(post_id: int) -> ResponseReturnValue:
    """Ask before deleting a post for good, then delete it; a post someone else deleted first
    (a second click, another tab) is reported as already deleted."""
    form = DeleteForm()
    if form.validate_on_submit() and post_service.post_by_id(post_id) is None:
        flash(_("That post was already deleted."), "info")
        return redirect(url_for("admin.list_posts"))
    post = editable_post(post_id)
    if form.validate_on_submit():
        title = post.title
        done = post_service.delete_post(post)
        said = _("Deleted “%(title)s”.") if done else _("“%(title)s” was already deleted.")
        flash(said % {"title": title}, "info")
        return redirect(url_for("admin.list_posts"))
    return render_template("admin/delete_post.html", post=post, form=form)


@bp.route("/settings", methods=["GET", "POST"])
def edit_settings() -> ResponseReturnValue:
    """The blog's settings: title, tagline, About page, comment policy, language, feeds, zone."""
    require_admin()
    form = SiteForm(obj=settings_row())
    if form.validate_on_submit():
        update_site(
            title=form.title.data or "",
            tagline=form.tagline.data or "",
            about=form.about.data or "",
            comment_policy=CommentPolicy(form.comment_policy.data),
            language=form.language.data,
            feed_content=FeedContent(form.feed_content.data),
            **form.image_settings(),  # and the time zone
        )
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.edit_settings"))
    return render_template("admin/edit_settings.html", form=form, site=g.site)
