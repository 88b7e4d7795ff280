"""Forms of the admin blueprint."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext, pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from myblog.account_fields import (
    current_password_field,
    email_field,
    new_password_field,
    repeat_password_field,
    username_field,
)
from myblog.admin.labels import POST_STATUS, ROLE
from myblog.models import Category, CommentPolicy, FeedContent, Post, PostStatus, Role, Tag
from myblog.services.posts import MAX_BODY, MAX_SUMMARY, PostInput, tag_names
from myblog.services.profiles import MAX_BIO, MAX_DISPLAY_NAME, ProfileInput
from myblog.services.site import (
    DEFAULT_TIMEZONE,
    LANGUAGES,
    TimeNotInZone,
    timezone_names,
    to_local,
    to_utc,
)
from myblog.services.taxonomy import split_tags


class PostForm(FlaskForm):
    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        lazy_gettext("Slug"),
        validators=[Optional(), Length(max=80)],
        description=lazy_gettext("Leave empty to make one from the title."),
    )
    body = TextAreaField(lazy_gettext("Body (Markdown)"), validators=[Length(max=MAX_BODY)])
    summary = TextAreaField(
        lazy_gettext("Summary (optional)"),
        validators=[Length(max=MAX_SUMMARY)],
        render_kw={"rows": 2},
        description=lazy_gettext(
            "Shown in listings, feeds, search results and link previews; "
            "left empty, the first lines of the post are used."
        ),
    )
    category_id = SelectField(lazy_gettext("Category"), coerce=int, default=0)
    new_category = StringField(
        lazy_gettext("Or a new category"),
        validators=[Optional(), Length(max=60)],
        description=lazy_gettext("Created when the post is saved."),
    )
    tags = StringField(
        lazy_gettext("Tags"),
        validators=[Length(max=500)],
        description=lazy_gettext("Separated by commas; new ones are created."),
    )
    status = SelectField(
        lazy_gettext("Status"),
        choices=[SelectChoice(value, label) for value, label in POST_STATUS.items()],
        default=PostStatus.DRAFT.value,
    )
    published_at = DateTimeLocalField(
        lazy_gettext("Publish at"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description=lazy_gettext("Needed for scheduled posts; empty means now."),
    )
    allow_comments = BooleanField(lazy_gettext("Allow comments"), default=True)
    submit = SubmitField(lazy_gettext("Save"))

    # the blog's time zone: "Publish at" shows and takes wall-clock time there, stored as UTC
    zone = DEFAULT_TIMEZONE

    def use_zone(self, zone: str) -> None:
        """Show and read the publishing time in this time zone (the blog's)."""
        self.zone = zone
        self.published_at.label.text = lazy_gettext("Publish at (%(zone)s)", zone=zone)

    def validate_published_at(self, field: DateTimeLocalField) -> None:
        """Refuse a wall-clock time the blog's zone skips (clocks moving forward)."""
        if field.data is not None:
            try:
                to_utc(field.data, self.zone)
            except TimeNotInZone:
                shown = field.data.strftime("%Y-%m-%d %H:%M")
                message = lazy_gettext(
                    "%(time)s does not exist in %(zone)s: the clocks skip it. Choose another time.",
                    time=shown,
                    zone=self.zone,
                )
                raise ValidationError(str(message)) from None

    def offer_categories(self, categories: Iterable[Category]) -> None:
        """Fill the category menu: "none" first, then the given categories."""
        self.category_id.choices = [SelectChoice(0, lazy_gettext("— none —"))] + [
            SelectChoice(c.id, c.name) for c in categories
        ]

    def fill_from(self, post: Post) -> None:
        """Show a saved post in the fields that `obj=` cannot fill by attribute name."""
        self.category_id.data = post.category_id or 0
        self.tags.data = tag_names(post.tags)
        self.status.data = post.status.value
        self.published_at.data = (
            to_local(post.published_at, self.zone) if post.published_at else None
        )

    def _tag_names(self) -> list[str]:
        # a request without the field keeps the post's tags (WTForms then holds them from obj=)
        tags = self.tags.data
        return split_tags(tags) if isinstance(tags, str) else [tag.name for tag in tags or []]

    def to_input(self, post: Post | None) -> PostInput:
        """The submitted post as the posts service takes it (`post` is the one being edited)."""
        when = to_utc(self.published_at.data, self.zone) if self.published_at.data else None
        # the field shows whole minutes: left as shown, it keeps the exact original time
        original = post.published_at if post is not None else None
        if original is not None and when == original.replace(second=0, microsecond=0):
            when = original
        return PostInput(
            title=self.title.data or "",
            slug=self.slug.data or "",
            body=self.body.data or "",
            summary=self.summary.data or "",
            status=PostStatus(self.status.data),
            published_at=when,
            category_id=self.category_id.data or None,
            tags=self._tag_names(),
            allow_comments=bool(self.allow_comments.data),
            new_category=self.new_category.data or "",
        )


class ActionForm(FlaskForm):
    """Only a CSRF token: for one-button actions such as "Retry"."""


class DeleteForm(FlaskForm):
    submit = SubmitField(lazy_gettext("Delete"))


class NameForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=60)])
    submit = SubmitField(lazy_gettext("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a category's or tag's name, which Chinese words otherwise than a person's
        self.name.label.text = pgettext("term", "Name")


class MergeForm(FlaskForm):
    target_id = SelectField(lazy_gettext("Merge into"), coerce=int)
    submit = SubmitField(lazy_gettext("Merge"))

    def offer_targets(self, terms: Iterable[Category | Tag]) -> None:
        """Fill the "merge into" menu with these categories or tags."""
        self.target_id.choices = [SelectChoice(term.id, term.name) for term in terms]


def role_field() -> SelectField:
    """The roles an owner or admin may hand out (there is only one owner)."""
    return SelectField(
        lazy_gettext("Role"),
        choices=[
            SelectChoice(Role.AUTHOR.value, ROLE[Role.AUTHOR]),
            SelectChoice(Role.ADMIN.value, ROLE[Role.ADMIN]),
        ],
        default=Role.AUTHOR.value,
    )


class UserForm(FlaskForm):
    username = username_field()
    email = email_field()
    password = new_password_field(
        lazy_gettext("Initial password"),
        lazy_gettext("Tell the new author; they can log in with it right away."),
    )
    role = role_field()
    submit = SubmitField(lazy_gettext("Add user"))


class SiteForm(FlaskForm):
    title = StringField(lazy_gettext("Blog title"), validators=[DataRequired(), Length(max=120)])
    tagline = StringField(lazy_gettext("Tagline"), validators=[Length(max=255)])
    about = TextAreaField(lazy_gettext("About page (Markdown)"), validators=[Length(max=MAX_BODY)])
    comment_policy = SelectField(
        lazy_gettext("New comments from guests"),
        choices=[
            SelectChoice(CommentPolicy.MODERATED.value, lazy_gettext("Wait for approval")),
            SelectChoice(
                CommentPolicy.TRUST_RETURNING.value,
                lazy_gettext("Wait for approval, unless the address has an approved comment"),
            ),
            SelectChoice(CommentPolicy.OPEN.value, lazy_gettext("Appear at once")),
        ],
        default=CommentPolicy.TRUST_RETURNING.value,
    )
    language = SelectField(
        lazy_gettext("Default language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default="en",
        description=lazy_gettext(
            "Of the pages, for readers who have not chosen one (and whose browser asks for none "
            "we have), and of all the blog's email."
        ),
    )
    timezone = SelectField(
        lazy_gettext("Time zone"),
        choices=timezone_names,
        default=DEFAULT_TIMEZONE,
        description=lazy_gettext(
            "Dates on the pages, in the feeds and in email, and the editor's publishing time, "
            "are in this zone."
        ),
    )
    feed_content = SelectField(
        lazy_gettext("What the feeds carry of each post"),
        choices=[
            SelectChoice(
                FeedContent.SUMMARY.value, lazy_gettext("Its summary (readers come to the blog)")
            ),
            SelectChoice(
                FeedContent.FULL.value, lazy_gettext("The whole post (read in the feed reader)")
            ),
        ],
        default=FeedContent.SUMMARY.value,
    )
    submit = SubmitField(lazy_gettext("Save"))


class EmailChangeForm(FlaskForm):
    email = email_field(lazy_gettext("New email"))
    password = current_password_field()
    submit = SubmitField(lazy_gettext("Send confirmation link"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        lazy_gettext("Display name"),
        validators=[DataRequired(), Length(max=MAX_DISPLAY_NAME)],
        description=lazy_gettext("Shown on your posts and your author page."),
    )
    bio = TextAreaField(
        lazy_gettext("Short bio"), validators=[Length(max=MAX_BIO)], render_kw={"rows": 3}
    )
    website = URLField(lazy_gettext("Website"), validators=[Optional(), Length(max=255)])
    avatar = FileField(
        lazy_gettext("Avatar"),
        description=lazy_gettext("PNG, JPEG, GIF or WebP; cut to a square."),
        render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"},
    )
    remove_avatar = BooleanField(lazy_gettext("Remove my avatar"))
    submit = SubmitField(lazy_gettext("Save profile"))

    def to_input(self) -> ProfileInput:
        """The submitted profile, for the profiles service."""
        return ProfileInput(
            display_name=self.display_name.data or "",
            bio=self.bio.data or "",
            website=self.website.data or "",
        )


class PasswordChangeForm(FlaskForm):
    current = current_password_field()
    password = new_password_field(lazy_gettext("New password"))
    confirm = repeat_password_field()
    submit = SubmitField(lazy_gettext("Change password"))


class InviteForm(FlaskForm):
    email = email_field()
    role = role_field()
    submit = SubmitField(lazy_gettext("Send invitation"))


class ImportForm(FlaskForm):
    file = FileField(
        lazy_gettext("A zip, a WordPress export (.xml) or a Ghost export (.json)"),
        validators=[FileRequired(lazy_gettext("Choose a file to import."))],
    )
    dry_run = BooleanField(
        lazy_gettext("Only show what would happen (dry run: nothing is changed)")
    )
    submit = SubmitField(lazy_gettext("Import"))
