"""Account form fields shared by the auth and admin forms: one set of rules for account details."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import EmailField, Field, Form, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp, ValidationError

from myblog.services.passwords import MIN_PASSWORD_LENGTH, TOO_COMMON, is_common


def username_field(label: str | None = None) -> StringField:
    """A login name: 2–40 letters, digits, '.', '_' or '-'."""
    return StringField(
        label or lazy_gettext("Username"),
        render_kw={"autocomplete": "username"},
        validators=[
            DataRequired(),
            Length(min=2, max=40),
            Regexp(
                r"^[A-Za-z0-9_.-]+$", message=lazy_gettext("Use letters, digits, '.', '_' or '-'.")
            ),
        ],
    )


def email_field(label: str | None = None) -> EmailField:
    """A required, well-formed email address."""
    return EmailField(
        label or lazy_gettext("Email"),
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


def not_common(form: Form, field: Field) -> None:
    """Refuse a password from the bundled list of common passwords."""
    if field.data and is_common(field.data):
        raise ValidationError(str(TOO_COMMON))


def new_password_field(label: str | None = None, description: str = "") -> PasswordField:
    """A password being chosen: at least the minimum length, and not a common one."""
    return PasswordField(
        label or lazy_gettext("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024), not_common],
        description=description,
        # password managers offer to generate and save a new password here
        render_kw={"autocomplete": "new-password"},
    )


def current_password_field(label: str | None = None) -> PasswordField:
    """The password the account has now, asked for before a change."""
    return PasswordField(
        label or lazy_gettext("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


def repeat_password_field(label: str | None = None) -> PasswordField:
    """The new password once more, which must match the field named `password`."""
    return PasswordField(
        label or lazy_gettext("Repeat password"),
        validators=[DataRequired(), EqualTo("password", lazy_gettext("Passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
