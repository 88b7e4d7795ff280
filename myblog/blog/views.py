"""Views of the public blog."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from myblog.blog.blueprint import bp
from myblog.blog.post_page import readable_view_or_404, render_post_page
from myblog.extensions import csrf
from myblog.models import Category, Tag
from myblog.queries import listings
from myblog.services.redirects import is_safe_next
from myblog.web import is_same_origin, or_404, page_arg


def per_page() -> int:
    """Posts per listing page (MYBLOG_POSTS_PER_PAGE)."""
    return int(current_app.config["MYBLOG_POSTS_PER_PAGE"])


@bp.context_processor
def blog_context() -> dict[str, object]:
    # scoped to this blueprint's templates; computed without touching the database.
    # Each page of a listing is its own canonical page; other query strings are dropped.
    values = dict(request.view_args or {})
    page = request.args.get("page", "1")
    if page.isascii() and page.isdigit() and int(page) > 1:  # as page_arg reads "?page=02": 2
        values["page"] = int(page)
    return {"canonical_url": url_for(request.endpoint or "blog.index", _external=True, **values)}


@bp.route("/")
def index() -> ResponseReturnValue:
    """The newest posts, a page at a time."""
    pagination = listings.public_posts(page=page_arg(), per_page=per_page())
    return render_template("blog/index.html", pagination=pagination)


@bp.route("/post/<slug>")
def show_post(slug: str) -> ResponseReturnValue:
    """A post with its neighbours, its comments and the comment form."""
    return render_post_page(readable_view_or_404(slug))


@bp.route("/category/<slug>")
def show_category(slug: str) -> ResponseReturnValue:
    """The posts filed under one category, newest first."""
    category = or_404(listings.find_term(Category, slug))
    pagination = listings.public_posts(page=page_arg(), per_page=per_page(), category=category)
    return render_template("blog/show_category.html", category=category, pagination=pagination)


@bp.route("/tag/<slug>")
def show_tag(slug: str) -> ResponseReturnValue:
    """The posts with one tag, newest first."""
    tag = or_404(listings.find_term(Tag, slug))
    pagination = listings.public_posts(page=page_arg(), per_page=per_page(), tag=tag)
    return render_template("blog/show_tag.html", tag=tag, pagination=pagination)


@bp.route("/author/<username>")
def show_author(username: str) -> ResponseReturnValue:
    """One author's posts, newest first, under their name and bio."""
    author = or_404(listings.find_author(username))
    pagination = listings.public_posts(page=page_arg(), per_page=per_page(), author=author)
    return render_template("blog/show_author.html", author=author, pagination=pagination)


@bp.route("/archive")
def archive() -> ResponseReturnValue:
    """Every month with posts, and how many."""
    return render_template("blog/archive.html", months=listings.archive_months())


@bp.route("/archive/<id(min=1970, max=9999):year>/<id(max=12):month>")
def show_month(year: int, month: int) -> ResponseReturnValue:
    """The posts published in one month (the route admits only years 1970-9999, months 1-12)."""
    pagination = listings.posts_in_month(
        year=year, month=month, page=page_arg(), per_page=per_page()
    )
    return render_template("blog/show_month.html", year=year, month=month, pagination=pagination)


@bp.route("/about")
def about() -> ResponseReturnValue:
    """The About page the owner writes in the settings."""
    return render_template("blog/about.html")


def _remember(cookie: str, value: str) -> ResponseReturnValue:
    """Keep a reader's choice in a cookie and go back to the page they chose it on.

    Checked by origin instead of a CSRF token: a token lives in the session, and giving every
    anonymous reader a session cookie would make each public page uncacheable. A forged request
    could only change the victim's colours or language, and browsers mark cross-site ones anyway.
    """
    if not is_same_origin():
        abort(400, description=_("Cross-site request refused."))
    target = request.form.get("next")
    destination = target if target and is_safe_next(target) else url_for("blog.index")
    response = make_response(redirect(destination))
    response.set_cookie(
        cookie,
        value,
        max_age=current_app.config["MYBLOG_THEME_COOKIE_MAX_AGE"],
        samesite="Lax",
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


@bp.route("/theme/<any(light, dark):theme>", methods=["POST"])
@csrf.exempt
def set_theme(theme: str) -> ResponseReturnValue:
    """Remember the reader's light/dark choice in a cookie."""
    return _remember("theme", theme)


@bp.route("/language/<any(en, zh_CN):language>", methods=["POST"])
@csrf.exempt
def set_language(language: str) -> ResponseReturnValue:
    """Remember the language the reader chose for the interface in a cookie (`lang`)."""
    return _remember("lang", language)


@bp.route("/uploads/<path:filename>")
def uploaded_file(filename: str) -> ResponseReturnValue:
    """Uploaded images (names are random; send_from_directory refuses paths outside the folder)."""
    response = send_from_directory(
        current_app.config["MYBLOG_UPLOAD_DIR"], filename, max_age=365 * 24 * 3600
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
