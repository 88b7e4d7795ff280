"""Account form fields shared by the auth and admin forms: one set of rules for account details."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

from myblog.services.accounts import MIN_PASSWORD_LENGTH


def username_field(label: str = "Username") -> StringField:
    """A login name: 2–40 letters, digits, '.', '_' or '-'."""
    return StringField(
        label,
        validators=[
            DataRequired(),
            Length(min=2, max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="Use letters, digits, '.', '_' or '-'."),
        ],
    )


def email_field(label: str = "Email") -> EmailField:
    """A required, well-formed email address."""
    return EmailField(label, validators=[DataRequired(), Email(), Length(max=254)])


def new_password_field(label: str = "Password", description: str = "") -> PasswordField:
    """A password being chosen: at least the minimum length."""
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        description=description,
    )
