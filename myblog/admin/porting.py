"""Moving in and out (admins only): the Import page and the backup download."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from myblog.admin.access import require_admin
from myblog.admin.blueprint import bp
from myblog.admin.forms import ImportForm
from myblog.extensions import csrf
from myblog.models.types import utcnow
from myblog.services.porting.exporter import export_entries, stream_zip
from myblog.services.porting.importer import import_file
from myblog.services.porting.items import SourceError
from myblog.services.porting.report import ImportReport
from myblog.services.porting.sources import Limits, megabytes


def _import_form() -> ImportForm:
    """The form, read with the Import page's own size limit (413 beyond it)."""
    limit = int(current_app.config["MYBLOG_IMPORT_MAX_UPLOAD_BYTES"])
    request.max_content_length = limit
    try:
        return ImportForm()
    except RequestEntityTooLarge:
        abort(
            413,
            description=_(
                "The file is too large: the Import page takes %(size)s.", size=megabytes(limit)
            ),
        )


def _page(
    form: ImportForm, report: ImportReport | None = None, code: int = 200
) -> ResponseReturnValue:
    limits = Limits.from_config()
    upload = megabytes(int(current_app.config["MYBLOG_IMPORT_MAX_UPLOAD_BYTES"]))
    return render_template(
        "admin/import.html", form=form, report=report, limits=limits, upload_limit=upload
    ), code


@bp.route("/import", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token: the site-wide check would read the body first
def import_page() -> ResponseReturnValue:
    """Import a zip or an export file and show what became of each item (admins only)."""
    require_admin()
    form = _import_form()
    if not form.validate_on_submit():
        return _page(form, code=400 if form.is_submitted() else 200)
    upload = form.file.data
    try:
        report = import_file(
            upload.stream, upload.filename or "", author=current_user, dry_run=form.dry_run.data
        )
    except SourceError as exc:
        form.file.errors = [str(exc)]
        return _page(form, code=400)
    return _page(ImportForm(formdata=None), report)


@bp.route("/backup.zip")
def download_backup() -> ResponseReturnValue:
    """The whole blog as a zip that `flask import` restores, streamed (admins only; no
    password hashes: those leave only through `flask export --with-secrets`)."""
    require_admin()
    filename = f"myblog-backup-{utcnow():%Y-%m-%d}.zip"
    return Response(
        stream_with_context(stream_zip(export_entries())),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
