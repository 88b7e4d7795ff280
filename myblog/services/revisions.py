"""A post's revisions: each save kept, the editor's autosaves (pending, pruned), and diffs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import defer, joinedload

from myblog.extensions import db
from myblog.models import Post, PostRevision, PostStatus, RevisionKind, User
from myblog.models.types import utcnow

# how many autosaves of one post a writer keeps (older ones are pruned as new ones come)
AUTOSAVES_KEPT = 5
MAX_TITLE = 200
# the same bound as a post's body (services/posts.py:MAX_BODY, which imports this module)
MAX_BODY = 500_000
# equal lines shown around a change; longer equal runs fold into one "…" row
CONTEXT_LINES = 3
# lines longer than this are marked changed as a whole, not character by character
MAX_INLINE_DIFF = 2_000


class RevisionError(ValueError):
    """Why an autosave or a revision was refused, with the HTTP status that says so."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def keep_revision(
    post: Post, *, author: User, now: datetime, restored_from: int | None = None
) -> PostRevision:
    """Record the post as just saved by `author` (not committed) and prune the autosaves that
    this save supersedes: the saver's own, of this post and of a new post."""
    db.session.flush()  # a new post needs its id
    published = post.status is not PostStatus.DRAFT
    revision = PostRevision(
        post_id=post.id,
        author_id=author.id,
        kind=RevisionKind.PUBLISHED if published else RevisionKind.SAVE,
        created_at=now,
        title=post.title,
        body=post.body,
        restored_from=restored_from,
    )
    db.session.add(revision)
    _drop_autosaves(author_id=author.id, post_id=post.id)
    _drop_autosaves(author_id=author.id, post_id=None)
    return revision


def _drop_autosaves(*, author_id: int, post_id: int | None, keep: Sequence[int] = ()) -> None:
    query = delete(PostRevision).where(
        PostRevision.author_id == author_id,
        PostRevision.kind == RevisionKind.AUTOSAVE,
        PostRevision.post_id.is_(None) if post_id is None else PostRevision.post_id == post_id,
    )
    if keep:
        query = query.where(PostRevision.id.not_in(keep))
    db.session.execute(query.execution_options(synchronize_session=False))


def editable(post_id: int, user: User) -> Post:
    """The post `user` may edit, else RevisionError 404 (no such post) or 403 (someone else's)."""
    post = db.session.get(Post, post_id)
    if post is None:
        raise RevisionError(404, _("That post does not exist (any more)."))
    if not user.can_edit(post.author_id):
        raise RevisionError(403, _("You may not edit this post."))
    return post


def autosave(
    *, user: User, post_id: int | None, title: str, body: str, now: datetime | None = None
) -> datetime:
    """Keep the editor's unsaved title and body as a pending autosave of the post (or of the
    writer's new post), never over the saved post; commits and answers the time it was kept.
    Work equal to the saved post is not pending: the writer's autosaves of it are dropped."""
    now = now or utcnow()
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise RevisionError(413, _("Too long to keep: shorten the title or the body."))
    post = editable(post_id, user) if post_id is not None else None
    if post is not None and title.strip() == post.title and body == post.body:
        _drop_autosaves(author_id=user.id, post_id=post.id)
    else:
        revision = PostRevision(
            post_id=post_id,
            author_id=user.id,
            kind=RevisionKind.AUTOSAVE,
            created_at=now,
            title=title,
            body=body,
        )
        db.session.add(revision)
        db.session.flush()
        _drop_autosaves(author_id=user.id, post_id=post_id, keep=_newest_autosaves(user, post_id))
    db.session.commit()
    return now


def autosave_payload(payload: object, *, user: User) -> dict[str, object]:
    """The editor's autosave message (JSON: `post_id` or null for a new post, `title`, `body`;
    or `discard`: true) carried out for `user`: the fields of the answer."""
    if not isinstance(payload, dict):
        raise RevisionError(400, _('Send {"post_id": …, "title": "…", "body": "…"}.'))
    post_id = payload.get("post_id")
    if post_id is not None and (type(post_id) is not int or post_id < 1):
        raise RevisionError(400, _("post_id is the id of a post, or null for a new post."))
    if payload.get("discard") is True:
        discard_autosaves(user=user, post_id=post_id)
        return {"post_id": post_id, "discarded": True}
    title, body = payload.get("title"), payload.get("body")
    if not isinstance(title, str) or not isinstance(body, str):
        raise RevisionError(400, _('Send {"post_id": …, "title": "…", "body": "…"}.'))
    saved_at = autosave(user=user, post_id=post_id, title=title, body=body)
    return {"post_id": post_id, "saved_at": saved_at.isoformat()}


def _newest_autosaves(user: User, post_id: int | None) -> list[int]:
    query = select(PostRevision.id).where(
        PostRevision.author_id == user.id,
        PostRevision.kind == RevisionKind.AUTOSAVE,
        PostRevision.post_id.is_(None) if post_id is None else PostRevision.post_id == post_id,
    )
    return list(db.session.scalars(query.order_by(PostRevision.id.desc()).limit(AUTOSAVES_KEPT)))


def pending_autosave(*, user: User, post: Post | None) -> PostRevision | None:
    """The writer's newest autosave of this post (None: of their new post) made after the post's
    last save, which the editor offers to restore."""
    post_id = post.id if post is not None else None
    query = select(PostRevision).where(
        PostRevision.author_id == user.id,
        PostRevision.kind == RevisionKind.AUTOSAVE,
        PostRevision.post_id.is_(None) if post_id is None else PostRevision.post_id == post_id,
    )
    if post is not None:
        # newer than the post's last save, by whoever saved it: ids grow, clocks may not
        last_save = (
            select(func.coalesce(func.max(PostRevision.id), 0))
            .where(PostRevision.post_id == post.id, PostRevision.kind != RevisionKind.AUTOSAVE)
            .scalar_subquery()
        )
        query = query.where(PostRevision.id > last_save)
    return db.session.scalar(query.order_by(PostRevision.id.desc()).limit(1))


def discard_autosaves(*, user: User, post_id: int | None) -> None:
    """Forget the writer's unsaved work on this post (None: on their new post); commits."""
    if post_id is not None:
        editable(post_id, user)
    _drop_autosaves(author_id=user.id, post_id=post_id)
    db.session.commit()


def revisions_of(post: Post, *, limit: int | None = None) -> list[PostRevision]:
    """The kept revisions of the post with their authors, newest first (all, or the newest
    `limit`; bodies read when used)."""
    query = (
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .options(joinedload(PostRevision.author), defer(PostRevision.body))
        .order_by(PostRevision.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def revision_of(post: Post, revision_id: int) -> PostRevision | None:
    """The post's revision with this id, or None (also when it belongs to another post)."""
    revision = db.session.get(PostRevision, revision_id)
    return revision if revision is not None and revision.post_id == post.id else None


# -- diffs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of one line's text (plain, not HTML), changed or not."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: `kind` is equal, insert, delete, replace or fold (equal
    lines left out); a side without a line has number None."""

    kind: str
    old_number: int | None = None
    old: Sequence[Segment] = ()
    new_number: int | None = None
    new: Sequence[Segment] = ()


@dataclass(frozen=True)
class Diff:
    """Two revisions compared: their titles, and their bodies line by line."""

    old_title: str
    new_title: str
    rows: list[DiffRow] = field(default_factory=list)

    @property
    def same(self) -> bool:
        unchanged = all(row.kind in {"equal", "fold"} for row in self.rows)
        return unchanged and self.old_title == self.new_title


def diff_texts(old: str, new: str, *, context: int = CONTEXT_LINES) -> list[DiffRow]:
    """The rows of a side-by-side diff of two texts, with changed characters marked."""
    a, b = old.splitlines(), new.splitlines()
    # autojunk: lines that fill over 1 % of a long text (blank ones, fences) do not anchor the
    # match; without it a 950-line note took 250 ms to compare, with it 14 (docs/decisions.md)
    matcher = difflib.SequenceMatcher(None, a, b)
    if a == b:
        return []
    # read before grouping, which trims the matcher's own list of opcodes in place
    last = matcher.get_opcodes()[-1]
    rows: list[DiffRow] = []
    for group in matcher.get_grouped_opcodes(context):
        if rows or group[0][1] > 0 or group[0][3] > 0:
            rows.append(DiffRow("fold"))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows(tag, a, b, i1, i2, j1, j2))
    if last[0] == "equal" and last[2] - last[1] > context:
        rows.append(DiffRow("fold"))
    return rows


def _rows(
    tag: str, a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int
) -> list[DiffRow]:
    if tag == "equal":
        return [
            DiffRow("equal", i + 1, [Segment(a[i])], j + 1, [Segment(b[j])])
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
        ]
    rows: list[DiffRow] = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        old_line = a[i] if i < i2 else None
        new_line = b[j] if j < j2 else None
        if old_line is not None and new_line is not None:
            old_segments, new_segments = _inline(old_line, new_line)
            rows.append(DiffRow("replace", i + 1, old_segments, j + 1, new_segments))
        elif old_line is not None:
            rows.append(DiffRow("delete", i + 1, [Segment(old_line, True)]))
        elif new_line is not None:
            rows.append(DiffRow("insert", new_number=j + 1, new=[Segment(new_line, True)]))
    return rows


# words of Latin script whole; any other character (a Chinese one, punctuation) on its own
_TOKENS = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)
# lines less alike than this are marked changed as a whole (a scatter of marks reads worse)
MIN_INLINE_RATIO = 0.5


def _inline(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    if len(old) > MAX_INLINE_DIFF or len(new) > MAX_INLINE_DIFF:
        return [Segment(old, True)], [Segment(new, True)]
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < MIN_INLINE_RATIO:
        return [Segment(old, True)], [Segment(new, True)]
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return left, right


def compare(old: PostRevision, new: PostRevision) -> Diff:
    """The diff between two revisions of a post (older on the left)."""
    return Diff(old.title, new.title, diff_texts(old.body, new.body))
