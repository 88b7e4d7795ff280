"""Image upload from the editor (logged-in users only), answered as JSON."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from myblog.admin import bp
from myblog.extensions import db
from myblog.models import Upload
from myblog.services.uploads import UploadError, safe_display_name, store_image


@bp.route("/uploads", methods=["POST"])
def upload_image() -> ResponseReturnValue:
    """Store an image from the editor and answer with its URL and Markdown."""
    file = request.files.get("image")
    if file is None or not file.filename:
        return jsonify(error={"code": 400, "message": "Choose an image to upload."}), 400
    try:
        stored = store_image(
            file.stream,  # type: ignore[arg-type]
            upload_dir=current_app.config["MYBLOG_UPLOAD_DIR"],
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
    except UploadError as exc:
        return jsonify(error={"code": 400, "message": str(exc)}), 400
    # until the row below is committed, the file is an orphan: teardown removes it if we fail
    written = Path(current_app.config["MYBLOG_UPLOAD_DIR"]) / stored.filename
    g.setdefault("uncommitted_files", []).append(written)
    name = safe_display_name(file.filename)
    upload = Upload(
        filename=stored.filename,
        original_name=name,
        content_type=stored.content_type,
        size=stored.size,
        width=stored.width,
        height=stored.height,
        uploader_id=current_user.id,
    )
    db.session.add(upload)
    db.session.commit()
    g.uncommitted_files.remove(written)
    url = url_for("blog.uploaded_file", filename=stored.filename)
    alt = name.rsplit(".", 1)[0] or "image"
    return jsonify(
        url=url, markdown=f"![{alt}]({url})", width=stored.width, height=stored.height
    ), 201
