"""Image upload from the editor (logged-in users only), answered as JSON; the media library."""

from __future__ import annotations

import re

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from myblog.admin.blueprint import bp
from myblog.admin.forms import ActionForm
from myblog.services import media
from myblog.services.uploads import UploadError, save_upload
from myblog.web import or_404, page_arg


def markdown_alt(text: str) -> str:
    """Alt text fit for `![…](url)`: one line, with brackets and backslashes escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(text.split()))


def _refused(message: str) -> ResponseReturnValue:
    return jsonify(error={"code": 400, "message": message}), 400


@bp.route("/uploads", methods=["POST"])
def upload_image() -> ResponseReturnValue:
    """Store an image from the editor and answer with its URL and Markdown."""
    file = request.files.get("image")
    if file is None or not file.filename:
        return _refused(_("Choose an image to upload."))
    try:
        upload = save_upload(
            file.stream, original_name=file.filename, uploader=current_user._get_current_object()
        )
    except UploadError as exc:
        return _refused(str(exc))
    url = url_for("blog.uploaded_file", filename=upload.filename)
    # the writer's description of the image (the editor asks), never the file's name
    alt = markdown_alt(request.form.get("alt", ""))
    return jsonify(
        url=url, markdown=f"![{alt}]({url})", width=upload.width, height=upload.height
    ), 201


@bp.route("/media")
def list_media() -> ResponseReturnValue:
    """The media library: uploads with their size and the posts that use them, newest first."""
    uploads = media.media_page(user=current_user, page=page_arg(), per_page=30)
    return render_template(
        "admin/list_media.html",
        uploads=uploads,
        used=media.usages(list(uploads.items)),
        form=ActionForm(),
    )


@bp.route("/media/<id:upload_id>/delete", methods=["POST"])
def delete_media(upload_id: int) -> ResponseReturnValue:
    """Delete an upload that no post uses; one still used is refused with where it is used."""
    upload = or_404(media.upload_by_id(upload_id))
    if ActionForm().validate_on_submit():
        try:
            media.delete_unused(upload, user=current_user._get_current_object())
            flash(_("Deleted %(name)s.", name=upload.original_name or upload.filename), "info")
        except media.MediaError as exc:
            flash(str(exc.message), "danger")
    return redirect(url_for("admin.list_media"))
