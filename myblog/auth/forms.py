"""Forms of the accounts blueprint."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from myblog.account_fields import email_field, new_password_field, username_field


class LoginForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Remember me")
    next = HiddenField()
    submit = SubmitField("Log in")


class SetupForm(FlaskForm):
    title = StringField("Blog title", validators=[DataRequired(), Length(max=120)])
    username = username_field()
    email = email_field()
    password = new_password_field()
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Create my blog")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Email me a reset link")


class ResetPasswordForm(FlaskForm):
    password = new_password_field("New password")
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Set new password")


class AcceptInviteForm(FlaskForm):
    username = username_field()
    password = new_password_field()
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Create my account")
