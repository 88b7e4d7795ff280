"""The post page's reads: the post by the visibility rule, its neighbours."""

from __future__ import annotations

import pytest
from writing import HOUR, NOW, new_user, owner, publish_at, write

from myblog.extensions import db
from myblog.models import Post, PostStatus, Role
from myblog.queries.bylines import AuthorRef, TermRef
from myblog.queries.listings import public_posts
from myblog.queries.post_page import PostLink, PostView, neighbours, visible_post_view
from myblog.services.posts import visible_post
from myblog.services.taxonomy import create_category


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
        updated_at=post.updated_at,
        allow_comments=post.allow_comments,
        author_id=post.author_id,
        author=AuthorRef(post.author.username, post.author.display_name),
        category=TermRef(post.category.name, post.category.slug) if post.category else None,
        tags=[TermRef(tag.name, tag.slug) for tag in post.tags],
    )


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
