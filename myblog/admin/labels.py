"""The admin's words for stored values (statuses, roles, moderation actions), in the page's
language: the values themselves stay English in the database and in URLs.

Each table is keyed by the enum's value; the admin's templates reach them as `labels`.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from myblog.admin.blueprint import bp
from myblog.models import CommentStatus, OutboxStatus, PostStatus, Role
from myblog.services.comments import Action
from myblog.services.porting.report import Result
from myblog.services.subscribers import SubscriberState

POST_STATUS: dict[str, LazyString] = {
    PostStatus.DRAFT: lazy_gettext("Draft"),
    PostStatus.PUBLISHED: lazy_gettext("Published"),
    PostStatus.SCHEDULED: lazy_gettext("Scheduled"),
}
COMMENT_STATUS: dict[str, LazyString] = {
    CommentStatus.PENDING: lazy_gettext("Pending"),
    CommentStatus.APPROVED: lazy_gettext("Approved"),
    CommentStatus.SPAM: lazy_gettext("Spam"),
}
# the dashboard's cards: "Pending comments" and so on
COMMENT_CARD: dict[str, LazyString] = {
    CommentStatus.PENDING: lazy_gettext("Pending comments"),
    CommentStatus.APPROVED: lazy_gettext("Approved comments"),
    CommentStatus.SPAM: lazy_gettext("Spam comments"),
}
OUTBOX_STATUS: dict[str, LazyString] = {
    OutboxStatus.PENDING: lazy_gettext("Pending"),
    OutboxStatus.SENDING: lazy_gettext("Sending"),
    OutboxStatus.SENT: lazy_gettext("Sent"),
    OutboxStatus.FAILED: lazy_gettext("Failed"),
}
SUBSCRIBER_STATE: dict[str, LazyString] = {
    SubscriberState.CONFIRMED: lazy_gettext("Confirmed"),
    SubscriberState.PENDING: lazy_gettext("Pending"),
}
ROLE: dict[str, LazyString] = {
    Role.OWNER: lazy_gettext("Owner"),
    Role.ADMIN: lazy_gettext("Admin"),
    Role.AUTHOR: lazy_gettext("Author"),
}
# a comment's own button, and the bulk button acting on the ticked ones
ACTION: dict[str, LazyString] = {
    Action.APPROVE: lazy_gettext("Approve"),
    Action.SPAM: lazy_gettext("Spam"),
    Action.DELETE: lazy_gettext("Delete"),
}
ACTION_TICKED: dict[str, LazyString] = {
    Action.APPROVE: lazy_gettext("Approve ticked"),
    Action.SPAM: lazy_gettext("Spam ticked"),
    Action.DELETE: lazy_gettext("Delete ticked"),
}
IMPORT_RESULT: dict[str, LazyString] = {
    Result.IMPORTED: lazy_gettext("imported"),
    Result.WOULD_IMPORT: lazy_gettext("would import"),
    Result.SKIPPED: lazy_gettext("skipped"),
    Result.FAILED: lazy_gettext("failed"),
}

LABELS = SimpleNamespace(
    post_status=POST_STATUS,
    comment_status=COMMENT_STATUS,
    comment_card=COMMENT_CARD,
    outbox_status=OUTBOX_STATUS,
    subscriber_state=SUBSCRIBER_STATE,
    role=ROLE,
    action=ACTION,
    action_ticked=ACTION_TICKED,
    import_result=IMPORT_RESULT,
)


@bp.context_processor
def admin_labels() -> dict[str, object]:
    return {"labels": LABELS}
