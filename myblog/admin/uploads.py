"""Image upload from the editor (logged-in users only), answered as JSON."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from myblog.admin.blueprint import bp
from myblog.services.uploads import UploadError, save_upload


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
    alt = upload.original_name.rsplit(".", 1)[0] or "image"
    return jsonify(
        url=url, markdown=f"![{alt}]({url})", width=upload.width, height=upload.height
    ), 201
