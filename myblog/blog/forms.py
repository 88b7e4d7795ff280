"""Forms of the public blog."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional

from myblog.services.comments import (
    MAX_BODY,
    CommentInput,
    Submission,
    form_stamp,
    stamp_time,
)
from myblog.web import id_value


class CommentForm(FlaskForm):
    """A comment or a reply. Name and email are filled from the account for logged-in writers."""

    name = StringField(lazy_gettext("Name"), validators=[Optional(), Length(max=80)])
    email = EmailField(
        lazy_gettext("Email"),
        validators=[
            Optional(),
            Email(message=lazy_gettext("That is not a valid email address.")),
            Length(max=254),
        ],
        description=lazy_gettext("Never shown. Used for reply notifications if you ask for them."),
    )
    website = StringField(
        lazy_gettext("Website (optional)"),
        validators=[
            Optional(),
            URL(
                require_tld=True,
                message=lazy_gettext("Give a full address such as https://example.com."),
            ),
            Length(max=255),
        ],
    )
    body = TextAreaField(
        lazy_gettext("Comment"),
        validators=[
            DataRequired(message=lazy_gettext("The comment is empty.")),
            Length(
                max=MAX_BODY,
                message=lazy_gettext("A comment may be at most %(num)s characters.", num=MAX_BODY),
            ),
        ],
        description=lazy_gettext("Plain text with a little Markdown: *emphasis*, `code`, links."),
    )
    notify_replies = BooleanField(lazy_gettext("Email me when someone replies to this comment"))
    parent_id = HiddenField()
    # signed time the form was served (minimum fill time); a field humans never see (honeypot)
    started = HiddenField()
    nickname = StringField(lazy_gettext("Leave this field empty"), validators=[Optional()])
    submit = SubmitField(lazy_gettext("Post comment"))

    # guests must give a name and an address; logged-in writers comment under their account
    require_identity = True

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.require_identity:
            for f, message in (
                (self.name, _("Your name is needed.")),
                (self.email, _("Your email address is needed.")),
            ):
                if not (f.data or "").strip():
                    f.errors = [*f.errors, message]
                    valid = False
        return valid

    def parent_value(self) -> int | None:
        """The comment this one replies to, if the hidden field holds a plausible id."""
        return id_value((self.parent_id.data or "").strip())

    def to_input(self) -> CommentInput:
        """What the commenter wrote, for the comments service."""
        return CommentInput(
            body=self.body.data or "",
            name=self.name.data or "",
            email=self.email.data or "",
            website=self.website.data or "",
            parent_id=self.parent_value(),
            notify_replies=bool(self.notify_replies.data),
        )

    def submission(self, *, ip: str, post_id: int) -> Submission:
        """How the form was filled (address, when it was served, the honeypot), for anti-spam."""
        started_at = stamp_time(self.started.data, post_id)
        return Submission(ip=ip, started_at=started_at, honeypot=self.nickname.data or "")

    def keep_stamp(self, post_id: int) -> None:
        """Give a refused form a fresh stamp only if its own is missing or forged, so the time
        spent on the first try still counts towards the minimum fill time."""
        if stamp_time(self.started.data, post_id) is None:
            self.started.data = form_stamp(post_id)

    def csrf_value(self) -> str:
        """The token this form was built with ("" when it has none)."""
        token_field = getattr(self, "csrf_token", None)
        return (token_field.current_token or "") if token_field is not None else ""
