"""What a reader makes of a source: plain items the importer brings in, whatever the format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from myblog.models import CommentStatus, PostStatus, Role
from myblog.services.porting.report import Outcome

if TYPE_CHECKING:
    from myblog.services.porting.sources import FileSet

# the category that WordPress and Ghost pages are filed under (myblog has posts only)
PAGES_CATEGORY = "Pages"


class SourceError(ValueError):
    """The whole source is refused (not a zip, too large, an unknown format); safe to show."""


class ItemError(ValueError):
    """One item of the source is refused (malformed front matter, binary…); safe to show."""


@dataclass
class CommentItem:
    key: str  # its id in the source, unique within its post
    name: str
    email: str
    body: str  # Markdown
    status: CommentStatus = CommentStatus.APPROVED
    parent_key: str | None = None
    website: str | None = None
    created_at: datetime | None = None
    author: str = ""  # the username or email of the account that wrote it, if any
    notify_replies: bool = False


@dataclass(frozen=True)
class ImageRef:
    ref: str  # as written in the body
    path: str  # the file of the source it names


@dataclass
class PostItem:
    key: str  # its id in the source: a file's path, a WordPress or Ghost id
    label: str  # how the report names it
    title: str
    body: str  # Markdown
    slug: str = ""  # given by the source: kept, or the item is skipped when another post has it
    slug_base: str = ""  # otherwise the slug is made from this (or the title), -2… when taken
    status: PostStatus = PostStatus.PUBLISHED
    published_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    category: str = ""
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    author: str = ""  # a username or email; "" is whoever runs the import
    allow_comments: bool = True
    comments: list[CommentItem] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class UserItem:
    key: str  # how the source's posts name this account
    username: str
    email: str
    display_name: str = ""
    role: Role = Role.AUTHOR
    active: bool = True
    created_at: datetime | None = None
    bio: str | None = None
    website: str | None = None
    password_hash: str = ""  # only from a backup written with --with-secrets


@dataclass
class TermItem:
    kind: str  # "category" or "tag"
    name: str
    slug: str


@dataclass
class SubscriberItem:
    email: str
    created_at: datetime | None
    confirmed_at: datetime | None


@dataclass
class UploadItem:
    filename: str
    original_name: str
    uploader: str
    created_at: datetime | None


@dataclass
class SiteItem:
    title: str
    tagline: str
    about: str
    comment_policy: str
    language: str
    timezone: str = ""
    image_hosts: tuple[str, ...] = ()
    copy_remote_images: bool = False


@dataclass
class Restore:
    """What only a myblog backup carries besides posts and accounts."""

    site: SiteItem | None = None
    terms: list[TermItem] = field(default_factory=list)
    subscribers: list[SubscriberItem] = field(default_factory=list)
    uploads: list[UploadItem] = field(default_factory=list)


@dataclass
class Batch:
    """A source read and understood, ready to import."""

    source: str  # the namespace of its items' ids in the import records
    kind: str  # what it is, for people: "WordPress export (WXR 1.2)"
    posts: list[PostItem] = field(default_factory=list)
    users: list[UserItem] = field(default_factory=list)
    problems: list[Outcome] = field(default_factory=list)  # items refused while reading
    notes: list[str] = field(default_factory=list)  # about the whole source
    files: FileSet | None = None  # where the images and uploads are read from
    restore: Restore | None = None

    @property
    def size(self) -> int:
        """How many steps the import takes (for a progress bar)."""
        extra = self.restore
        steps = len(self.posts) + len(self.users)
        if extra is not None:
            steps += len(extra.terms) + len(extra.subscribers) + len(extra.uploads) + 1
        return steps
