"""Writing, scheduling and publishing posts; the ORM read for requests that change a post."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from writing import HOUR, NOW, new_user, owner, publish_at, write

from myblog.extensions import db
from myblog.models import Post, PostStatus, Role
from myblog.queries.listings import (
    public_posts,
)
from myblog.services.posts import (
    PostError,
    PostInput,
    post_by_id,
    promote_due_posts,
    rerender_all,
    save_post,
    visible_post,
    without_title_heading,
)
from myblog.services.taxonomy import create_category


def post_count() -> int:
    return db.session.scalar(select(func.count(Post.id)))


# -- save_post: slugs ------------------------------------------------------------------------


def test_slug_comes_from_the_title_and_repeats_get_a_suffix(ctx):
    assert write("Flask 入门笔记").slug == "flask-ru-men-bi-ji"
    assert write("Flask 入门笔记").slug == "flask-ru-men-bi-ji-2"
    assert write("Flask 入门笔记").slug == "flask-ru-men-bi-ji-3"
    assert write("！？").slug == "post"


def test_a_requested_slug_is_slugified(ctx):
    assert write("Anything", slug="  My Custom Slug! ").slug == "my-custom-slug"


def test_a_requested_slug_that_is_taken_is_refused_and_nothing_is_kept(ctx):
    write("First", slug="taken")
    with pytest.raises(PostError, match="taken"):
        write("Second", slug="Taken", tags=["new-tag"])
    db.session.commit()  # whatever the failed save left behind would be written now
    assert post_count() == 1
    assert db.session.scalar(select(Post.title)) == "First"


def test_a_post_keeps_its_slug_when_retitled_and_may_resubmit_it(ctx):
    post = write("Original title")
    save_post(PostInput(title="A new title", body=""), author=owner(), post=post, now=NOW)
    assert post.slug == "original-title"
    save_post(
        PostInput(title="A new title", body="", slug="original-title"),
        author=owner(),
        post=post,
        now=NOW,
    )
    assert post.slug == "original-title"


def test_an_empty_title_is_refused(ctx):
    with pytest.raises(PostError, match="title"):
        write("   ")
    assert post_count() == 0


# -- save_post: content ----------------------------------------------------------------------


def test_body_html_and_excerpt_are_rendered_and_sanitised(ctx):
    post = write(
        "Content",
        body="Hello **world** <script>alert(1)</script> [x](javascript:alert(1))\n\n" + "词" * 300,
    )
    assert "<strong>world</strong>" in post.body_html
    assert "<script" not in post.body_html
    assert "javascript:" not in post.body_html
    assert post.excerpt.startswith("Hello world")
    assert "<" not in post.excerpt and "alert" not in post.excerpt
    assert len(post.excerpt) <= 200 and post.excerpt.endswith("…")


def test_editing_the_body_renders_it_again(ctx):
    post = write("Content", body="old *text*")
    save_post(PostInput(title="Content", body="new **text**"), author=owner(), post=post, now=NOW)
    assert "<strong>text</strong>" in post.body_html
    assert post.excerpt == "new text"


def test_tags_and_category_are_set_and_replaced(ctx):
    category = create_category("Notes")
    post = write("Tagged", tags=["Python", "笔记", "python"], category_id=category.id)
    assert [tag.name for tag in post.tags] == ["Python", "笔记"]
    assert post.category is not None and post.category.name == "Notes"
    save_post(PostInput(title="Tagged", body="", tags=["Go"]), author=owner(), post=post, now=NOW)
    assert [tag.name for tag in post.tags] == ["Go"]
    assert post.category_id is None


# -- save_post: schedule rules ---------------------------------------------------------------


def test_a_draft_has_no_date_and_is_hidden(ctx):
    post = write("Draft")
    assert post.status is PostStatus.DRAFT
    assert post.published_at is None
    assert not post.is_visible(NOW)


def test_publishing_without_a_time_means_now(ctx):
    post = write("Now", status=PostStatus.PUBLISHED)
    assert post.status is PostStatus.PUBLISHED
    assert post.published_at == NOW


def test_publishing_with_a_time_keeps_that_time(ctx):
    when = NOW - 24 * HOUR
    assert publish_at(when).published_at == when


def test_scheduling_in_the_future_hides_the_post_until_then(ctx):
    post = write("Later", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert post.status is PostStatus.SCHEDULED
    assert post.published_at == NOW + HOUR
    assert not post.is_visible(NOW)
    assert post.is_visible(NOW + HOUR)
    assert public_posts(page=1, per_page=10, now=NOW).items == []
    assert [p.id for p in public_posts(page=1, per_page=10, now=NOW + HOUR).items] == [post.id]


def test_scheduling_in_the_past_publishes(ctx):
    post = write("Late", status=PostStatus.SCHEDULED, published_at=NOW - HOUR)
    assert post.status is PostStatus.PUBLISHED
    assert post.published_at == NOW - HOUR


def test_scheduling_without_a_time_is_refused(ctx):
    with pytest.raises(PostError, match="date and time"):
        write("When?", status=PostStatus.SCHEDULED, tags=["t"])
    db.session.commit()  # a half-saved post must not be pending in the session
    assert post_count() == 0


def test_editing_a_published_post_keeps_its_original_date(ctx):
    post = write("Old news", status=PostStatus.PUBLISHED)
    later = NOW + 30 * 24 * HOUR
    save_post(
        PostInput(title="Old news, revised", body="x", status=PostStatus.PUBLISHED),
        author=owner(),
        post=post,
        now=later,
    )
    assert post.published_at == NOW
    # unpublishing and publishing again keeps it too
    save_post(PostInput(title="t", body="x"), author=owner(), post=post, now=later)
    assert post.status is PostStatus.DRAFT and not post.is_visible(later)
    save_post(
        PostInput(title="t", body="x", status=PostStatus.PUBLISHED),
        author=owner(),
        post=post,
        now=later,
    )
    assert post.published_at == NOW


def test_promote_due_posts_publishes_only_those_whose_time_has_come(ctx):
    due = write("Due", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    not_yet = write("Not yet", status=PostStatus.SCHEDULED, published_at=NOW + 3 * HOUR)
    draft = write("Draft")
    promoted = promote_due_posts(now=NOW + 2 * HOUR)
    assert [post.id for post in promoted] == [due.id]
    db.session.expire_all()
    assert db.session.get(Post, due.id).status is PostStatus.PUBLISHED
    assert db.session.get(Post, not_yet.id).status is PostStatus.SCHEDULED
    assert db.session.get(Post, draft.id).status is PostStatus.DRAFT
    assert promote_due_posts(now=NOW + 2 * HOUR) == []


# -- the ORM read under a comment ------------------------------------------------------------


def test_visible_post_shows_drafts_only_to_who_may_edit_them(ctx):
    author = new_user("writer")
    other = new_user("other")
    admin = new_user("boss", Role.ADMIN)
    draft = write("Secret", author=author)
    public = publish_at(NOW - HOUR, "Public")
    assert visible_post(public.slug, viewer=None, now=NOW).id == public.id
    assert visible_post(draft.slug, viewer=None, now=NOW) is None
    assert visible_post(draft.slug, viewer=other, now=NOW) is None
    assert visible_post(draft.slug, viewer=author, now=NOW).id == draft.id
    assert visible_post(draft.slug, viewer=admin, now=NOW).id == draft.id
    assert visible_post("no-such-post", viewer=admin, now=NOW) is None


def test_visible_post_hides_a_scheduled_post_until_its_time(ctx):
    post = write("Soon", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert visible_post(post.slug, viewer=None, now=NOW) is None
    assert visible_post(post.slug, viewer=None, now=NOW + HOUR).id == post.id


def test_rerender_all_rebuilds_every_post_in_batches(app, factory):
    ids = factory.posts(3, body="Fresh **bold**")
    with app.app_context():
        for post in db.session.scalars(select(Post)):
            post.body_html = "stale"
            post.excerpt = "stale"
        db.session.commit()
        batches: list[int] = []
        assert rerender_all(progress=batches.append, batch=2) == 3
        assert batches == [2, 1]
    with app.app_context():
        for post_id in ids:
            post = db.session.get(Post, post_id)
            assert post.body_html == "<p>Fresh <strong>bold</strong></p>\n"
            assert post.excerpt == "Fresh bold"


def test_post_by_id_finds_a_post_of_any_status(app, factory):
    (draft,) = factory.posts(1, status=PostStatus.DRAFT)
    with app.app_context():
        post = post_by_id(draft)
        assert post is not None and post.status is PostStatus.DRAFT
        assert post_by_id(draft + 1000) is None


def test_a_written_summary_stands_for_the_post_and_an_empty_one_gives_the_first_lines(ctx):
    post = write("Summed up", body="The first lines of the body.", summary="  A short\n summary. ")
    assert (post.summary, post.excerpt) == ("A short summary.", "A short summary.")
    again = save_post(PostInput(title="Summed up", body=post.body), author=owner(), post=post)
    assert again.summary == "" and again.excerpt == "The first lines of the body."
    post.summary = "Kept"
    db.session.commit()
    rerender_all()
    assert db.session.get(Post, post.id).excerpt == "Kept"


@pytest.mark.parametrize(
    ("body", "heading"),
    [
        ("# Flask notes\n\nFirst paragraph.", None),
        ("  #  Flask   notes  ##\nFirst paragraph.", None),
        ("# Flask notes, part 2\n\nFirst paragraph.", "<h1"),
        ("Intro.\n\n# Flask notes\n", "<h1"),
        ("## Flask notes\n\nFirst paragraph.", None),  # notes often open with a lower level
        ("## Flask notes, part 2\n\nFirst paragraph.", "<h2"),
    ],
)
def test_a_first_heading_repeating_the_title_is_not_shown_twice(ctx, body, heading):
    html = write("Flask notes", body=body).body_html
    if heading is None:
        assert "<h" not in html and "First paragraph." in html
    else:
        assert heading in html
    assert db.session.scalar(select(Post.body).where(Post.slug == "flask-notes")) == body


@pytest.mark.parametrize("marks", ["#", "##", "###"])
def test_a_first_heading_of_any_level_that_repeats_the_title_is_dropped(marks):
    title = "Flask 学习笔记：从 Hello World 到上线"
    body = f"{marks} {title}\n\n正文。\n\n{marks} {title}\n"
    kept = without_title_heading(body, title)
    assert kept == f"\n正文。\n\n{marks} {title}\n"  # only the first
    assert without_title_heading(f"{marks} Another title\n", "Title") == f"{marks} Another title\n"
