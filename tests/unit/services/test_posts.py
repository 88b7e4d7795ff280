"""Unit tests for writing, scheduling and reading posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Role, Tag, User
from myblog.queries.bylines import AuthorRef, TermRef
from myblog.queries.listings import (
    PageNotFound,
    Term,
    archive_months,
    find_author,
    find_term,
    posts_in_month,
    public_posts,
)
from myblog.queries.post_page import PostLink, PostView, neighbours, visible_post_view
from myblog.services.accounts import create_user
from myblog.services.posts import (
    PostError,
    PostInput,
    delete_post,
    promote_due_posts,
    rerender_all,
    save_post,
    visible_post,
)
from myblog.services.taxonomy import create_category, get_or_create_tags

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def new_user(username: str, role: Role = Role.AUTHOR) -> User:
    user = create_user(
        username=username, email=f"{username}@example.com", password="password123", role=role
    )
    db.session.commit()
    return user


def write(title: str = "A title", *, author: User | None = None, now=NOW, **fields) -> Post:
    fields.setdefault("body", "Some *text*.")
    return save_post(PostInput(title=title, **fields), author=author or owner(), now=now)


def publish_at(when: datetime, title: str = "Post", **fields) -> Post:
    return write(title, status=PostStatus.PUBLISHED, published_at=when, **fields)


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


# -- reading ---------------------------------------------------------------------------------


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


@pytest.mark.parametrize("find", [visible_post, visible_post_view])
def test_the_post_page_view_follows_the_same_visibility_rule(ctx, find):
    author = new_user("writer")
    other = new_user("other")
    admin = new_user("boss", Role.ADMIN)
    draft = write("Secret", author=author)
    soon = write("Soon", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    public = publish_at(NOW - HOUR, "Public")
    assert find(public.slug, viewer=None, now=NOW).id == public.id
    assert find(draft.slug, viewer=None, now=NOW) is None
    assert find(draft.slug, viewer=other, now=NOW) is None
    assert find(draft.slug, viewer=author, now=NOW).id == draft.id
    assert find(draft.slug, viewer=admin, now=NOW).id == draft.id
    assert find(soon.slug, viewer=None, now=NOW) is None
    assert find(soon.slug, viewer=None, now=NOW + HOUR).id == soon.id
    assert find("no-such-post", viewer=admin, now=NOW) is None


def view_of(post: Post) -> PostView:
    """The post page's view of a post, built from the ORM instance."""
    return PostView(
        id=post.id,
        title=post.title,
        slug=post.slug,
        excerpt=post.excerpt,
        body_html=post.body_html,
        status=post.status,
        published_at=post.published_at,
        allow_comments=post.allow_comments,
        author_id=post.author_id,
        author=AuthorRef(post.author.username, post.author.display_name),
        category=TermRef(post.category.name, post.category.slug) if post.category else None,
        tags=[TermRef(tag.name, tag.slug) for tag in post.tags],
    )


def test_the_post_view_read_by_columns_equals_the_view_of_the_orm_post(ctx):
    category = create_category("Notes")
    post = publish_at(
        NOW - HOUR, "Full", category_id=category.id, tags=["zeta", "alpha"], allow_comments=False
    )
    draftless = publish_at(NOW - HOUR, "Bare")
    for one in (post, draftless):
        db.session.expire_all()
        by_columns = visible_post_view(one.slug, viewer=None, now=NOW)
        assert by_columns == view_of(db.session.get(Post, one.id))
    view = visible_post_view(post.slug, viewer=None, now=NOW)
    assert [t.name for t in view.tags] == ["alpha", "zeta"]
    assert view.category.slug == category.slug and view.allow_comments is False
    assert view.author.username == owner().username and view.body_html.startswith("<p>")


def test_find_term_and_find_author_read_plain_values(ctx):
    category = create_category("Travel notes")
    [tag] = get_or_create_tags(["python"])
    db.session.commit()
    assert find_term(Category, category.slug) == Term(category.id, "Travel notes", category.slug)
    assert find_term(Tag, "python").name == "python"
    assert find_term(Category, "python") is None and find_term(Tag, category.slug) is None
    me = owner()
    found = find_author(me.username)
    assert (found.id, found.username, found.display_name) == (me.id, me.username, me.display_name)
    assert find_author("nobody") is None


def test_visible_post_hides_a_scheduled_post_until_its_time(ctx):
    post = write("Soon", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert visible_post(post.slug, viewer=None, now=NOW) is None
    assert visible_post(post.slug, viewer=None, now=NOW + HOUR).id == post.id


def test_neighbours_skip_what_the_public_cannot_read(ctx):
    oldest = publish_at(NOW - 5 * HOUR, "Oldest")
    write("Draft in between")
    middle = publish_at(NOW - 3 * HOUR, "Middle")
    newest = publish_at(NOW - 1 * HOUR, "Newest")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    older, newer = neighbours(middle, now=NOW)
    assert (older.slug, older.title) == (oldest.slug, "Oldest")
    assert (newer.slug, newer.title) == (newest.slug, "Newest")
    assert neighbours(newest, now=NOW)[1] is None
    assert neighbours(oldest, now=NOW)[0] is None


def test_neighbours_walk_posts_that_share_a_timestamp_in_id_order(ctx):
    first, second, third = (publish_at(NOW - HOUR, title) for title in ("A", "B", "C"))
    assert [p.title for p in public_posts(page=1, per_page=10, now=NOW).items] == ["C", "B", "A"]
    older, newer = neighbours(second, now=NOW)
    assert (older.title, newer.title) == ("A", "C")
    assert neighbours(first, now=NOW) == (None, PostLink(slug=second.slug, title="B"))
    assert neighbours(third, now=NOW) == (PostLink(slug=second.slug, title="B"), None)


def test_neighbours_of_a_draft_are_none(ctx):
    publish_at(NOW - HOUR)
    assert neighbours(write("Draft"), now=NOW) == (None, None)


def test_public_posts_lists_readable_posts_newest_first(ctx):
    publish_at(NOW - 3 * HOUR, "Third")
    publish_at(NOW - 1 * HOUR, "First")
    publish_at(NOW - 2 * HOUR, "Second")
    write("Draft")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    page = public_posts(page=1, per_page=2, now=NOW)
    assert (page.has_prev, page.has_next, page.next_num) == (False, True, 2)
    assert [post.title for post in page.items] == ["First", "Second"]
    last = public_posts(page=2, per_page=2, now=NOW)
    assert [post.title for post in last.items] == ["Third"]
    assert (last.has_prev, last.prev_num, last.has_next) == (True, 1, False)
    with pytest.raises(PageNotFound):
        public_posts(page=3, per_page=2, now=NOW)


def test_public_posts_filter_by_category_tag_and_author(ctx):
    author = new_user("writer")
    category = create_category("Travel")
    (tag,) = get_or_create_tags(["flask"])
    db.session.commit()
    publish_at(NOW - HOUR, "In category", category_id=category.id)
    publish_at(NOW - HOUR, "Tagged", tags=["Flask"])
    publish_at(NOW - HOUR, "By writer", author=author)
    write("Draft in category", category_id=category.id, tags=["flask"], author=author)

    def titles(**filters) -> list[str]:
        return [p.title for p in public_posts(page=1, per_page=10, now=NOW, **filters).items]

    assert titles(category=category) == ["In category"]
    assert titles(tag=tag) == ["Tagged"]
    assert titles(author=author) == ["By writer"]
    assert len(titles()) == 3


@pytest.mark.parametrize(
    ("last_moment", "first_moment", "month", "next_month"),
    [
        (datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC), 1, 2),
        (datetime(2023, 12, 31, 23, 59, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC), 12, 1),
    ],
)
def test_posts_in_month_includes_the_last_minute_and_not_the_next_first(
    ctx, last_moment, first_moment, month, next_month
):
    publish_at(last_moment, "Last moment")
    publish_at(first_moment, "First moment")
    inside = posts_in_month(year=last_moment.year, month=month, page=1, per_page=10, now=NOW)
    assert [post.title for post in inside.items] == ["Last moment"]
    after = posts_in_month(year=first_moment.year, month=next_month, page=1, per_page=10, now=NOW)
    assert [post.title for post in after.items] == ["First moment"]


def test_posts_in_month_hides_unreadable_posts(ctx):
    write("Draft")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert posts_in_month(year=NOW.year, month=NOW.month, page=1, per_page=10, now=NOW).items == []


def test_archive_months_counts_readable_posts_per_month_newest_first(ctx):
    publish_at(datetime(2024, 1, 1, tzinfo=UTC))
    publish_at(datetime(2024, 1, 31, 23, 59, tzinfo=UTC))
    publish_at(datetime(2024, 2, 1, tzinfo=UTC))
    publish_at(datetime(2023, 12, 31, 23, 59, tzinfo=UTC))
    write("Draft")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert archive_months(now=NOW) == [(2024, 2, 1), (2024, 1, 2), (2023, 12, 1)]
    assert archive_months(now=datetime(2024, 1, 15, tzinfo=UTC)) == [(2024, 1, 1), (2023, 12, 1)]


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


def test_archive_counts_are_cached_until_a_post_changes(ctx):
    publish_at(NOW - 24 * HOUR, "Old")
    assert total_in_archive() == 1
    sneaked = Post(
        title="Sneaked",
        slug="sneaked",
        status=PostStatus.PUBLISHED,
        published_at=NOW - HOUR,
        author=owner(),
    )
    db.session.add(sneaked)
    db.session.commit()
    assert total_in_archive() == 1  # written behind the service's back: still the cached answer
    new = write("New", status=PostStatus.PUBLISHED)
    assert total_in_archive() == 3
    delete_post(new)
    assert total_in_archive() == 2


def total_in_archive() -> int:
    return sum(count for _, _, count in archive_months())
