"""The data model: one module per aggregate."""

from myblog.models.comment import Comment, CommentPolicy, CommentStatus, Subscriber
from myblog.models.live import EventKind, LiveEvent
from myblog.models.outbox import OutboxEmail, OutboxStatus
from myblog.models.porting import ImportRecord
from myblog.models.post import Category, Post, PostStatus, Tag, post_tags
from myblog.models.revision import PostRevision, RevisionKind
from myblog.models.search import is_search_table as is_search_table  # and its DDL listeners
from myblog.models.site import FeedContent, Site
from myblog.models.upload import Upload
from myblog.models.user import Profile, Role, User

__all__ = [
    "Category",
    "Comment",
    "CommentPolicy",
    "CommentStatus",
    "FeedContent",
    "ImportRecord",
    "EventKind",
    "LiveEvent",
    "OutboxEmail",
    "OutboxStatus",
    "Post",
    "PostRevision",
    "PostStatus",
    "Profile",
    "RevisionKind",
    "Role",
    "Site",
    "Subscriber",
    "Tag",
    "Upload",
    "User",
    "post_tags",
]
