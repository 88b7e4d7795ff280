"""Admin views for accounts: the owner and admins list users and add authors."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from myblog.admin.access import require_admin
from myblog.admin.blueprint import bp
from myblog.admin.forms import InviteForm, UserForm
from myblog.models import Role, User
from myblog.services.accounts import AccountError, add_user, all_users, invite_author


@bp.route("/users", methods=["GET", "POST"])
def list_users() -> ResponseReturnValue:
    """Every account, with forms to add a user at once or to invite one by mail."""
    require_admin()
    form = UserForm()
    if form.validate_on_submit() and (user := _add(form)):
        flash(_created(user), "success")
        return redirect(url_for("admin.list_users"))
    return _users_page(form, InviteForm(prefix="invite"))


def _add(form: UserForm) -> User | None:
    try:
        return add_user(
            username=form.username.data or "",
            email=form.email.data or "",
            password=form.password.data or "",
            role=Role(form.role.data),
        )
    except AccountError as exc:
        form.username.errors = [*form.username.errors, str(exc)]
        return None


def _created(user: User) -> str:
    if user.role is Role.ADMIN:
        return _("Created admin %(username)s.", username=user.username)
    return _("Created author %(username)s.", username=user.username)


def _users_page(form: UserForm, invite_form: InviteForm) -> str:
    return render_template(
        "admin/list_users.html", users=all_users(), form=form, invite_form=invite_form
    )


@bp.route("/users/invite", methods=["POST"])
def invite_user() -> ResponseReturnValue:
    """Mail an invitation to write on this blog."""
    require_admin()
    invite_form = InviteForm(prefix="invite")
    if invite_form.validate_on_submit():
        try:
            invite_author(
                email=invite_form.email.data or "",
                role=Role(invite_form.role.data),
                inviter=current_user._get_current_object(),
            )
        except AccountError as exc:
            invite_form.email.errors = [*invite_form.email.errors, str(exc)]
        else:
            flash(_("Invitation sent to %(email)s.", email=invite_form.email.data), "success")
            return redirect(url_for("admin.list_users"))
    return _users_page(UserForm(formdata=None), invite_form), 400
