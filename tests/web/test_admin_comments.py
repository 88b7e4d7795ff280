"""Request tests for comment moderation: the queue by status, single and bulk actions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from support import Factory, csrf_from, login

from myblog.extensions import db
from myblog.models import Comment, CommentStatus, Role
from myblog.models.types import utcnow

MODERATE = "/admin/comments/moderate"
_COMMENT_COUNT = re.compile(
    r'display-6">(\d+)</div><div class="text-body-secondary">(\w+) comments<'
)


def add_comment(
    app, post_id: int, name: str, status: CommentStatus = CommentStatus.PENDING, **fields
) -> int:
    with app.app_context():
        comment = Comment(
            post_id=post_id,
            name=name,
            email=f"{name.lower()}@example.com",
            body=f"Words of {name}",
            body_html=f"<p>Words of {name}</p>",
            status=status,
            created_at=utcnow() - timedelta(minutes=5),
            **fields,
        )
        db.session.add(comment)
        db.session.commit()
        return comment.id


def statuses(app) -> dict[str, CommentStatus]:
    with app.app_context():
        return {c.name: c.status for c in db.session.scalars(select(Comment))}


def moderate(client, action: str, ids: list[int], *, status: str = "pending", one=None):
    token = csrf_from(client, f"/admin/comments?status={status}")
    url = MODERATE if one is None else f"{MODERATE}?one={one}"
    data = {"csrf_token": token, "action": action, "status": status, "ids": [str(i) for i in ids]}
    return client.post(url, data=data)


@pytest.fixture
def blog(app, factory: Factory) -> dict[str, int]:
    """An author with one post and two pending comments; the owner's post with one."""
    alice = factory.user("alice", Role.AUTHOR)
    (alices,) = factory.posts(1, author_id=alice.id)
    (owners,) = factory.posts(1)
    return {
        "alices": alices,
        "owners": owners,
        "a1": add_comment(app, alices, "Ann"),
        "a2": add_comment(app, alices, "Amy"),
        "o1": add_comment(app, owners, "Oscar"),
    }


@pytest.fixture
def alice_client(client, blog):
    login(client, "alice", "plum-kettle-42")
    return client


@pytest.fixture
def owner_client(client, blog):
    login(client)
    return client


def test_the_moderation_pages_need_a_login(client, blog, app):
    token = client.get("/api/csrf-token").get_json()["csrf_token"]  # a valid form, no login
    data = {"csrf_token": token, "action": "approve", "ids": [str(blog["a1"])]}
    for response in (client.get("/admin/comments"), client.post(MODERATE, data=data)):
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert set(statuses(app).values()) == {CommentStatus.PENDING}


def test_an_author_sees_only_the_comments_on_their_own_posts(alice_client, blog):
    page = alice_client.get("/admin/comments").get_data(as_text=True)
    assert "Words of Ann" in page and "Words of Amy" in page
    assert "Oscar" not in page
    assert f'value="{blog["a1"]}"' in page and f'value="{blog["o1"]}"' not in page
    assert "Pending (2)" in page and "Approved (0)" in page and "Spam (0)" in page
    assert "ann@example.com" in page  # moderators see the address


def test_the_owner_sees_every_pending_comment(owner_client):
    page = owner_client.get("/admin/comments").get_data(as_text=True)
    assert all(f"Words of {n}" in page for n in ("Ann", "Amy", "Oscar"))
    assert "Pending (3)" in page


def test_an_unknown_status_is_404(owner_client):
    assert owner_client.get("/admin/comments?status=deleted").status_code == 404
    assert owner_client.get("/admin/comments?status=spam").status_code == 200


def test_bulk_approve_acts_on_the_ticked_comments(app, owner_client, blog):
    response = moderate(owner_client, "approve", [blog["a1"], blog["o1"]])
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/comments?status=pending"
    assert statuses(app) == {
        "Ann": CommentStatus.APPROVED,
        "Amy": CommentStatus.PENDING,
        "Oscar": CommentStatus.APPROVED,
    }
    page = owner_client.get("/admin/comments").get_data(as_text=True)
    assert "Approve: 2 comments." in page
    assert "Pending (1)" in page and "Approved (2)" in page
    approved = owner_client.get("/admin/comments?status=approved").get_data(as_text=True)
    assert "Words of Ann" in approved and "Words of Amy" not in approved


def test_an_author_cannot_moderate_comments_on_others_posts(app, alice_client, blog):
    response = moderate(alice_client, "spam", [blog["a1"], blog["o1"]])
    assert response.status_code == 302
    assert "Spam: 1 comment." in alice_client.get("/admin/comments").get_data(as_text=True)
    assert statuses(app) == {
        "Ann": CommentStatus.SPAM,
        "Amy": CommentStatus.PENDING,
        "Oscar": CommentStatus.PENDING,
    }


def test_a_comments_own_button_acts_on_that_comment_only(app, owner_client, blog):
    # the ticked boxes are ignored when a comment's own button (?one=) was pressed
    response = moderate(owner_client, "spam", [blog["a2"], blog["o1"]], one=blog["a1"])
    assert response.status_code == 302
    assert statuses(app) == {
        "Ann": CommentStatus.SPAM,
        "Amy": CommentStatus.PENDING,
        "Oscar": CommentStatus.PENDING,
    }
    spam = owner_client.get("/admin/comments?status=spam").get_data(as_text=True)
    assert "Words of Ann" in spam
    assert f'formaction="{MODERATE}?one={blog["a1"]}"' in spam  # its own buttons are there


def test_delete_removes_the_comment_and_its_replies(app, owner_client, blog):
    add_comment(app, blog["alices"], "Rex", CommentStatus.APPROVED, parent_id=blog["a1"])
    response = moderate(owner_client, "delete", [blog["a1"]], status="approved")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/comments?status=approved"
    assert statuses(app) == {"Amy": CommentStatus.PENDING, "Oscar": CommentStatus.PENDING}


def test_the_moderation_form_lists_each_comment_with_a_tick_box(owner_client, blog):
    page = owner_client.get("/admin/comments").get_data(as_text=True)
    for key in ("a1", "a2", "o1"):
        assert f'name="ids" value="{blog[key]}"' in page
    for action in ("approve", "spam", "delete"):
        assert f'name="action" value="{action}"' in page


def test_an_unknown_action_is_400(app, owner_client, blog):
    response = moderate(owner_client, "publish", [blog["a1"]])
    assert response.status_code == 400
    assert "Choose approve, spam or delete." in response.get_data(as_text=True)
    assert set(statuses(app).values()) == {CommentStatus.PENDING}


def test_no_ticked_comment_changes_nothing(app, owner_client):
    response = moderate(owner_client, "delete", [])
    assert response.status_code == 302
    assert "Tick at least one comment." in owner_client.get("/admin/comments").get_data(
        as_text=True
    )
    assert len(statuses(app)) == 3


def test_moderating_needs_the_csrf_token(app, owner_client, blog):
    response = owner_client.post(
        MODERATE, data={"action": "delete", "ids": [str(blog["a1"]), str(blog["o1"])]}
    )
    assert response.status_code == 400
    assert len(statuses(app)) == 3
    forged = owner_client.post(
        MODERATE, data={"csrf_token": "forged", "action": "approve", "ids": [str(blog["a1"])]}
    )
    assert forged.status_code == 400
    assert set(statuses(app).values()) == {CommentStatus.PENDING}


def dashboard_comment_counts(client) -> dict[str, int]:
    page = client.get("/admin/").get_data(as_text=True)
    return {label: int(n) for n, label in _COMMENT_COUNT.findall(page)}


def test_the_dashboard_shows_comment_counts_per_user(app, client, blog):
    add_comment(app, blog["alices"], "Sam", CommentStatus.SPAM)
    add_comment(app, blog["owners"], "Ola", CommentStatus.APPROVED)
    login(client, "alice", "plum-kettle-42")
    assert dashboard_comment_counts(client) == {"Pending": 2, "Approved": 0, "Spam": 1}
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/comments?status=pending"' in page
    owner = app.test_client()  # the owner sees every post's comments
    login(owner)
    assert dashboard_comment_counts(owner) == {"Pending": 3, "Approved": 1, "Spam": 1}
