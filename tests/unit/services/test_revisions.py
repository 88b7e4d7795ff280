"""Revisions: every save kept, autosaves pending and pruned, restoring, and diffs."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from writing import HOUR, NOW, new_user, owner, write

from myblog.extensions import db
from myblog.models import PostRevision, PostStatus, RevisionKind, Role
from myblog.services.posts import PostInput, restore_revision, save_post
from myblog.services.revisions import (
    AUTOSAVES_KEPT,
    RevisionError,
    autosave,
    compare,
    diff_texts,
    discard_autosaves,
    pending_autosave,
    revision_of,
    revisions_of,
)


def kinds(post) -> list[RevisionKind]:
    return [revision.kind for revision in revisions_of(post)]


def autosaves() -> list[PostRevision]:
    query = select(PostRevision).where(PostRevision.kind == RevisionKind.AUTOSAVE)
    return list(db.session.scalars(query.order_by(PostRevision.id)))


def edit(post, *, now, **fields):
    data = {"title": post.title, "body": post.body, "status": post.status, **fields}
    return save_post(PostInput(**data), author=owner(), post=post, now=now)


def test_every_save_keeps_a_revision_with_author_time_title_and_body(ctx):
    post = write("First title", body="one")
    edit(post, now=NOW + HOUR, title="Second title", body="two")
    newest, oldest = revisions_of(post)
    assert (oldest.title, oldest.body, oldest.created_at) == ("First title", "one", NOW)
    assert (newest.title, newest.body, newest.created_at) == ("Second title", "two", NOW + HOUR)
    assert newest.author == owner()
    assert kinds(post) == [RevisionKind.SAVE, RevisionKind.SAVE]


def test_a_save_that_leaves_the_post_live_is_a_published_revision(ctx):
    post = write("Draft first")
    edit(post, now=NOW + HOUR, status=PostStatus.PUBLISHED)
    assert kinds(post) == [RevisionKind.PUBLISHED, RevisionKind.SAVE]


def test_an_autosave_is_pending_and_never_touches_the_saved_post(ctx):
    post = write("Saved", body="saved body")
    autosave(user=owner(), post_id=post.id, title="Saved", body="typed on", now=NOW + HOUR)
    db.session.expire_all()
    assert post.body == "saved body"
    pending = pending_autosave(user=owner(), post=post)
    assert pending is not None
    assert (pending.body, pending.created_at) == ("typed on", NOW + HOUR)
    # only the writer who typed it is offered it
    assert pending_autosave(user=new_user("bob"), post=post) is None


def test_a_save_prunes_the_autosaves_it_supersedes(ctx):
    post = write("Saved")
    autosave(user=owner(), post_id=post.id, title="Saved", body="draft 1", now=NOW + HOUR)
    autosave(user=owner(), post_id=None, title="Other", body="a new post", now=NOW + HOUR)
    edit(post, now=NOW + 2 * HOUR, body="saved at last")
    assert autosaves() == []
    assert pending_autosave(user=owner(), post=post) is None
    assert kinds(post) == [RevisionKind.SAVE, RevisionKind.SAVE]


def test_only_the_newest_autosaves_are_kept(ctx):
    post = write("Saved")
    for n in range(AUTOSAVES_KEPT + 3):
        autosave(user=owner(), post_id=post.id, title="Saved", body=f"v{n}", now=NOW + n * HOUR)
    kept = [revision.body for revision in autosaves()]
    assert kept == [f"v{n}" for n in range(3, AUTOSAVES_KEPT + 3)]
    assert pending_autosave(user=owner(), post=post).body == f"v{AUTOSAVES_KEPT + 2}"


def test_published_revisions_are_never_pruned(ctx):
    post = write("Live", status=PostStatus.PUBLISHED, published_at=NOW)
    for n in range(AUTOSAVES_KEPT + 2):
        edit(post, now=NOW + (n + 1) * HOUR, body=f"edit {n}")
        autosave(user=owner(), post_id=post.id, title="Live", body=f"typing {n}", now=NOW)
    assert kinds(post).count(RevisionKind.PUBLISHED) == AUTOSAVES_KEPT + 3


def test_an_autosave_equal_to_the_saved_post_is_not_pending(ctx):
    post = write("Saved", body="same")
    autosave(user=owner(), post_id=post.id, title="Saved", body="changed", now=NOW + HOUR)
    autosave(user=owner(), post_id=post.id, title="Saved", body="same", now=NOW + 2 * HOUR)
    assert pending_autosave(user=owner(), post=post) is None


def test_an_autosave_made_before_someone_elses_save_is_not_offered(ctx):
    post = write("Saved")
    admin = new_user("ann", Role.ADMIN)
    autosave(user=owner(), post_id=post.id, title="Saved", body="older", now=NOW + HOUR)
    save_post(PostInput(title="Saved", body="theirs"), author=admin, post=post, now=NOW)
    assert pending_autosave(user=owner(), post=post) is None


def test_a_new_post_has_one_pending_autosave_per_writer(ctx):
    bob = new_user("bob")
    autosave(user=owner(), post_id=None, title="Mine", body="mine", now=NOW)
    autosave(user=bob, post_id=None, title="Bob's", body="his", now=NOW)
    assert pending_autosave(user=owner(), post=None).body == "mine"
    assert pending_autosave(user=bob, post=None).body == "his"
    discard_autosaves(user=owner(), post_id=None)
    assert pending_autosave(user=owner(), post=None) is None
    assert pending_autosave(user=bob, post=None) is not None


def test_an_author_cannot_autosave_into_someone_elses_post(ctx):
    post = write("The owner's")
    bob = new_user("bob")
    with pytest.raises(RevisionError) as refused:
        autosave(user=bob, post_id=post.id, title="x", body="y")
    assert refused.value.code == 403
    with pytest.raises(RevisionError) as missing:
        autosave(user=bob, post_id=post.id + 100, title="x", body="y")
    assert missing.value.code == 404
    assert autosaves() == []


def test_an_autosave_longer_than_a_post_is_refused(ctx):
    with pytest.raises(RevisionError) as refused:
        autosave(user=owner(), post_id=None, title="t", body="x" * 500_001)
    assert refused.value.code == 413


def test_restoring_a_revision_saves_it_as_a_new_revision(ctx):
    post = write("Old title", body="old body", tags=["kept"])
    edit(post, now=NOW + HOUR, title="New title", body="new body", tags=["kept"])
    oldest = revisions_of(post)[-1]
    restored = restore_revision(post, oldest, user=owner())
    assert (restored.title, restored.body) == ("Old title", "old body")
    assert [tag.name for tag in restored.tags] == ["kept"]
    newest = revisions_of(post)[0]
    assert (newest.title, newest.body, newest.restored_from) == ("Old title", "old body", oldest.id)
    assert len(revisions_of(post)) == 3


def test_a_revision_of_another_post_is_not_found(ctx):
    first, second = write("First"), write("Second")
    assert revision_of(second, revisions_of(first)[0].id) is None
    assert revision_of(first, revisions_of(first)[0].id) is not None


def test_a_diff_marks_changed_lines_and_characters(ctx):
    rows = diff_texts("same\nold line\ngone", "same\nnew line\nsame\nadded")
    assert [row.kind for row in rows] == ["equal", "replace", "replace", "insert"]
    replace = rows[1]
    assert [(s.text, s.changed) for s in replace.old] == [("old", True), (" line", False)]
    assert [(s.text, s.changed) for s in replace.new] == [("new", True), (" line", False)]
    assert rows[3].old_number is None and rows[3].new_number == 4


def test_a_diff_folds_long_equal_runs(ctx):
    old = "\n".join(f"line {n}" for n in range(40))
    new = old.replace("line 20", "line twenty")
    rows = diff_texts(old, new, context=2)
    expected = ["fold", "equal", "equal", "replace", "equal", "equal", "fold"]
    assert [row.kind for row in rows] == expected


def test_a_diff_keeps_markup_as_plain_text_for_the_template_to_escape(ctx):
    post = write("T", body="<b>bold</b>")
    edit(post, now=NOW + HOUR, body="<script>alert(1)</script>")
    new, old = revisions_of(post)
    diff = compare(old, new)
    texts = "".join(s.text for row in diff.rows for s in (*row.old, *row.new))
    assert "<script>alert(1)</script>" in texts  # raw: Jinja escapes it (tests/web)
    assert not diff.same
    assert compare(old, old).same


def test_a_diff_marks_chinese_changes_by_character_and_very_different_lines_whole(ctx):
    (row,) = diff_texts("今天学习 Flask 路由", "今天复习 Flask 路由")
    assert [(s.text, s.changed) for s in row.new] == [
        ("今天", False),
        ("复", True),
        ("习 Flask 路由", False),
    ]
    (whole,) = diff_texts("completely", "different words here")
    assert [(s.text, s.changed) for s in whole.new] == [("different words here", True)]


def test_a_session_signs_in_only_while_its_token_is_current(ctx):
    from myblog.services.accounts import end_sessions, signed_in_user

    user = owner()
    login_id = user.get_id()
    assert signed_in_user(login_id) == user
    end_sessions(user)
    assert signed_in_user(login_id) is None
    assert signed_in_user("x:y") is None
    assert signed_in_user("") is None


def test_deleting_a_post_deletes_its_revisions_and_autosaves(ctx):
    from myblog.services.posts import delete_post

    post = write("Short-lived")
    autosave(user=owner(), post_id=post.id, title="Short-lived", body="more")
    assert delete_post(post)
    assert db.session.scalars(select(PostRevision)).all() == []
