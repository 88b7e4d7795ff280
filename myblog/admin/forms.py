"""Forms of the admin blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from myblog.account_fields import email_field, new_password_field, username_field
from myblog.models import CommentPolicy, PostStatus, Role
from myblog.services.posts import MAX_BODY
from myblog.services.site import LANGUAGES


class PostForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Slug",
        validators=[Optional(), Length(max=80)],
        description="Leave empty to make one from the title.",
    )
    body = TextAreaField("Body (Markdown)", validators=[Length(max=MAX_BODY)])
    category_id = SelectField("Category", coerce=int, default=0)
    tags = StringField(
        "Tags",
        validators=[Length(max=500)],
        description="Separated by commas; new ones are created.",
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in PostStatus],
        default=PostStatus.DRAFT.value,
    )
    published_at = DateTimeLocalField(
        "Publish at (UTC)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description="Needed for scheduled posts; empty means now.",
    )
    allow_comments = BooleanField("Allow comments", default=True)
    submit = SubmitField("Save")


class ActionForm(FlaskForm):
    """Only a CSRF token: for one-button actions such as "Retry"."""


class DeleteForm(FlaskForm):
    submit = SubmitField("Delete")


class NameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=60)])
    submit = SubmitField("Save")


class MergeForm(FlaskForm):
    target_id = SelectField("Merge into", coerce=int)
    submit = SubmitField("Merge")


def role_field() -> SelectField:
    """The roles an owner or admin may hand out (there is only one owner)."""
    return SelectField(
        "Role",
        choices=[
            SelectChoice(Role.AUTHOR.value, "Author"),
            SelectChoice(Role.ADMIN.value, "Admin"),
        ],
        default=Role.AUTHOR.value,
    )


class UserForm(FlaskForm):
    username = username_field()
    email = email_field()
    password = new_password_field(
        "Initial password", "Tell the new author; they can log in with it right away."
    )
    role = role_field()
    submit = SubmitField("Add user")


class SiteForm(FlaskForm):
    title = StringField("Blog title", validators=[DataRequired(), Length(max=120)])
    tagline = StringField("Tagline", validators=[Length(max=255)])
    about = TextAreaField("About page (Markdown)", validators=[Length(max=MAX_BODY)])
    comment_policy = SelectField(
        "New comments from guests",
        choices=[
            SelectChoice(CommentPolicy.MODERATED.value, "Wait for approval"),
            SelectChoice(
                CommentPolicy.TRUST_RETURNING.value,
                "Wait for approval, unless the address has an approved comment",
            ),
            SelectChoice(CommentPolicy.OPEN.value, "Appear at once"),
        ],
        default=CommentPolicy.TRUST_RETURNING.value,
    )
    language = SelectField(
        "Language of the blog's email",
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default="en",
    )
    submit = SubmitField("Save")


class EmailChangeForm(FlaskForm):
    email = email_field("New email")
    password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Send confirmation link")


class InviteForm(FlaskForm):
    email = email_field()
    role = role_field()
    submit = SubmitField("Send invitation")
