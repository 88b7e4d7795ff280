"""Forms of the accounts blueprint."""

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
        "Username or email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = current_password_field("Password")
    remember = BooleanField("Remember me")
    next = HiddenField()
    submit = SubmitField("Log in")


class SetupForm(FlaskForm):
    title = StringField("Blog title", validators=[DataRequired(), Length(max=120)])
    username = username_field()
    email = email_field()
    password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField("Create my blog")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Email me a reset link")


class ResetPasswordForm(FlaskForm):
    password = new_password_field("New password")
    confirm = repeat_password_field()
    submit = SubmitField("Set new password")


class AcceptInviteForm(FlaskForm):
    username = username_field()
    password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField("Create my account")
