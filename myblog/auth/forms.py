"""Forms of the accounts blueprint."""

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from myblog.account_fields import (
    current_password_field,
    email_field,
    new_password_field,
    repeat_password_field,
    username_field,
)


class LoginForm(FlaskForm):
    login = StringField(
        lazy_gettext("Username or email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = current_password_field(lazy_gettext("Password"))
    remember = BooleanField(lazy_gettext("Remember me"))
    next = HiddenField()
    submit = SubmitField(lazy_gettext("Log in"))


class SetupForm(FlaskForm):
    title = StringField(lazy_gettext("Blog title"), validators=[DataRequired(), Length(max=120)])
    username = username_field()
    email = email_field()
    password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField(lazy_gettext("Create my blog"))


class LogoutForm(FlaskForm):
    submit = SubmitField(lazy_gettext("Log out"))


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField(lazy_gettext("Email me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = new_password_field(lazy_gettext("New password"))
    confirm = repeat_password_field()
    submit = SubmitField(lazy_gettext("Set new password"))


class AcceptInviteForm(FlaskForm):
    username = username_field()
    password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField(lazy_gettext("Create my account"))
