"""Admin views for accounts: the owner and admins list users and add authors."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from myblog.admin import bp
from myblog.admin.forms import UserForm
from myblog.admin.views import require_admin
from myblog.extensions import db
from myblog.models import Role, User
from myblog.services.accounts import AccountError, create_user


@bp.route("/users", methods=["GET", "POST"])
def list_users() -> ResponseReturnValue:
    require_admin()
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                username=form.username.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                role=Role(form.role.data),
            )
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            form.username.errors = [*form.username.errors, str(exc)]
        else:
            flash(f"Created {user.role.value} {user.username}.", "success")
            return redirect(url_for("admin.list_users"))
    users = db.session.scalars(select(User).order_by(User.id))
    return render_template("admin/list_users.html", users=users, form=form)
