"""The admin's words for stored values (statuses, roles, moderation actions), in the page's
language: the values themselves stay English in the database and in URLs.

Each table is keyed by the enum's value. The forms' menus take the lazy `POST_STATUS` and
`ROLE`; the admin's templates reach every table as `labels`, worded once per page.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import current_app
from flask_babel import get_locale, lazy_gettext, pgettext
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from myblog.admin.blueprint import bp
from myblog.models import CommentStatus, OutboxStatus, PostStatus, Role
from myblog.services.comments import Action
from myblog.services.porting.report import Result
from myblog.services.subscribers import SubscriberState

CACHE_KEY = "myblog.admin_labels"
POST_STATUS: dict[str, LazyString] = {
    PostStatus.DRAFT: lazy_gettext("Draft"),
    PostStatus.PUBLISHED: lazy_gettext("Published"),
    PostStatus.SCHEDULED: lazy_gettext("Scheduled"),
}
ROLE: dict[str, LazyString] = {
    Role.OWNER: lazy_gettext("Owner"),
    Role.ADMIN: lazy_gettext("Admin"),
    Role.AUTHOR: lazy_gettext("Author"),
}


def _comments() -> dict[str, dict[str, str]]:
    return {
        "comment_status": {
            CommentStatus.PENDING: _("Pending"),
            CommentStatus.APPROVED: _("Approved"),
            CommentStatus.SPAM: _("Spam"),
        },
        # the dashboard's cards
        "comment_card": {
            CommentStatus.PENDING: _("Pending comments"),
            CommentStatus.APPROVED: _("Approved comments"),
            CommentStatus.SPAM: _("Spam comments"),
        },
        # a comment's own buttons, and the bulk ones acting on the ticked comments
        "action": {
            Action.APPROVE: _("Approve"),
            Action.SPAM: pgettext("action", "Spam"),
            Action.DELETE: _("Delete"),
        },
        "action_ticked": {
            Action.APPROVE: _("Approve ticked"),
            Action.SPAM: _("Spam ticked"),
            Action.DELETE: _("Delete ticked"),
        },
    }


def _mail() -> dict[str, dict[str, str]]:
    return {
        "outbox_status": {
            OutboxStatus.PENDING: pgettext("mail", "Pending"),
            OutboxStatus.SENDING: _("Sending"),
            OutboxStatus.SENT: _("Sent"),
            OutboxStatus.FAILED: _("Failed"),
        },
        "subscriber_state": {
            SubscriberState.CONFIRMED: _("Confirmed"),
            SubscriberState.PENDING: pgettext("subscriber", "Pending"),
        },
    }


def _imports() -> dict[str, dict[str, str]]:
    return {
        "import_result": {
            Result.IMPORTED: _("imported"),
            Result.WOULD_IMPORT: _("would import"),
            Result.SKIPPED: _("skipped"),
            Result.FAILED: _("failed"),
        },
    }


def labels() -> SimpleNamespace:
    """Every table, worded in the page's language (some words differ by what they name: a
    pending comment waits for approval, a pending subscriber for their confirmation); made once
    per app and language, since wording them costs ~0.7 ms."""
    made: dict[str, SimpleNamespace] = current_app.extensions.setdefault(CACHE_KEY, {})
    language = str(get_locale())
    if language not in made:
        made[language] = SimpleNamespace(
            post_status=POST_STATUS, role=ROLE, **_comments(), **_mail(), **_imports()
        )
    return made[language]


@bp.context_processor
def admin_labels() -> dict[str, object]:
    return {"labels": labels()}
