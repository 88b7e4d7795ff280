"""The logged-in user's own account: change the email address (confirmed by mail)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from myblog.admin.blueprint import bp
from myblog.admin.forms import EmailChangeForm
from myblog.services.accounts import AccountError, request_email_change


@bp.route("/account", methods=["GET", "POST"])
def edit_account() -> ResponseReturnValue:
    """Change this account's email address; the change waits for the new address to confirm."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            request_email_change(
                user=current_user._get_current_object(),
                new_email=form.email.data or "",
                password=form.password.data or "",
            )
        except AccountError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            flash("Check the new address: the change takes effect when you open the link.", "info")
            return redirect(url_for("admin.edit_account"))
    return render_template("admin/edit_account.html", form=form)
