"""The logged-in user's own account: the email address (confirmed by mail), the password, log out
everywhere."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from myblog.admin.blueprint import bp
from myblog.admin.forms import ActionForm, EmailChangeForm, PasswordChangeForm, ProfileForm
from myblog.models import User
from myblog.services.accounts import (
    AccountError,
    change_own_password,
    end_sessions,
    request_email_change,
)
from myblog.services.profiles import ProfileError, remove_avatar, set_avatar, update_profile
from myblog.services.uploads import UploadError


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
            flash(_("Check the new address: the change is made when you open the link."), "info")
            return redirect(url_for("admin.edit_account"))
    return _account_page(email_form=form)


def _account_page(
    *,
    email_form: EmailChangeForm | None = None,
    password_form: PasswordChangeForm | None = None,
    profile_form: ProfileForm | None = None,
) -> str:
    user = current_user._get_current_object()
    return render_template(
        "admin/edit_account.html",
        form=email_form or EmailChangeForm(formdata=None),
        password_form=password_form or PasswordChangeForm(formdata=None),
        profile_form=profile_form or ProfileForm(formdata=None, obj=user.profile),
        avatar=user.profile.avatar if user.profile else None,
        sessions_form=ActionForm(),
    )


@bp.route("/account/profile", methods=["POST"])
def edit_profile() -> ResponseReturnValue:
    """Save the name bylines show, a short bio, a website and an avatar."""
    form = ProfileForm()
    if form.validate_on_submit() and _profile_saved(form, current_user._get_current_object()):
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("admin.edit_account"))
    return _account_page(profile_form=form), 400


def _profile_saved(form: ProfileForm, user: User) -> bool:
    try:
        update_profile(user, form.to_input())
        if form.remove_avatar.data:
            remove_avatar(user)
        elif form.avatar.data:
            set_avatar(user, form.avatar.data.stream)
    except (ProfileError, UploadError) as exc:
        form.form_errors.append(str(exc))
        return False
    return True


@bp.route("/account/password", methods=["POST"])
def change_password() -> ResponseReturnValue:
    """Change this account's password (the current one first); other devices must log in again."""
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and _changed(form, user):
        login_user(user)  # this browser stays signed in, under the account's new session token
        flash(_("Your password is changed; your other devices must log in again."), "success")
        return redirect(url_for("admin.edit_account"))
    return _account_page(password_form=form), 400


def _changed(form: PasswordChangeForm, user: User) -> bool:
    try:
        change_own_password(user, current=form.current.data or "", new=form.password.data or "")
    except AccountError as exc:
        form.current.errors = [*form.current.errors, str(exc)]
        return False
    return True


@bp.route("/account/log-out-everywhere", methods=["POST"])
def log_out_everywhere() -> ResponseReturnValue:
    """End every session and remember-me cookie of this account, this browser's included."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    logout_user()
    end_sessions(user)
    flash(_("You are logged out everywhere: every device must log in again."), "info")
    return redirect(url_for("auth.login"))
