"""Admin view of the mail outbox: every message's state, and retrying failed ones."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from myblog.admin.access import require_admin
from myblog.admin.blueprint import bp
from myblog.admin.forms import ActionForm
from myblog.models import OutboxStatus
from myblog.services import outbox_admin
from myblog.web import filter_arg, page_arg


@bp.route("/outbox")
def list_outbox() -> ResponseReturnValue:
    """The mail outbox, newest first, with counts by delivery state and a filter by state."""
    require_admin()
    status = filter_arg("status", OutboxStatus)
    messages = outbox_admin.list_messages(page=page_arg(), per_page=50, status=status)
    return render_template(
        "admin/list_outbox.html",
        messages=messages,
        status=status,
        counts=outbox_admin.status_counts(),
        retry_form=ActionForm(),
    )


@bp.route("/outbox/<id:email_id>/retry", methods=["POST"])
def retry_email(email_id: int) -> ResponseReturnValue:
    """Queue a failed message for delivery again."""
    require_admin()
    if not ActionForm().validate_on_submit():
        abort(400)
    if outbox_admin.retry(email_id):
        flash(_("The message is queued again."), "success")
    else:
        flash(_("Only failed messages can be retried."), "warning")
    return redirect(url_for("admin.list_outbox", status="failed"))


@bp.route("/outbox/retry-failed", methods=["POST"])
def retry_failed() -> ResponseReturnValue:
    """Queue every failed message for delivery again."""
    require_admin()
    if not ActionForm().validate_on_submit():
        abort(400)
    count = outbox_admin.retry_all()
    flash(
        ngettext(
            "%(num)d failed message is queued again.",
            "%(num)d failed messages are queued again.",
            count,
        )
        if count
        else _("No failed messages."),
        "info",
    )
    return redirect(url_for("admin.list_outbox", status="all"))
