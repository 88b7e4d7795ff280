"""Accounts service: creating users, first-run setup, checking credentials."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from support import OWNER_PASSWORD

from myblog.config import ProductionConfig
from myblog.extensions import db
from myblog.models import OutboxEmail, Role, Site, User
from myblog.services.accounts import (
    AccountError,
    accept_invitation,
    add_user,
    all_users,
    authenticate,
    change_own_password,
    confirm_email_change,
    create_user,
    invite_author,
    owner_exists,
    read_invitation,
    request_email_change,
    request_password_reset,
    reset_password,
    setup_blog,
)
from myblog.services.passwords import MIN_PASSWORD_LENGTH
from myblog.services.site import get_site
from myblog.services.tokens import TokenError

BASE = "http://127.0.0.1:5000"  # MYBLOG_BASE_URL: links written outside a request


def new_user(username: str = "alice", email: str | None = None, **kwargs) -> User:
    user = create_user(
        username=username,
        email=email or f"{username}@example.com",
        password=kwargs.pop("password", "long-enough-pw"),
        **kwargs,
    )
    db.session.commit()
    return user


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


# --- create_user ------------------------------------------------------------------------------


@pytest.fixture
def production_hashing(make_app):
    """An app context whose password hashing is production's (tests use a cheap method)."""
    with make_app(MYBLOG_PASSWORD_HASH=ProductionConfig.MYBLOG_PASSWORD_HASH).app_context():
        yield


def test_create_user_hashes_the_password(production_hashing):
    user = new_user(password="s3cret-password")
    assert user.password_hash != "s3cret-password"
    assert "s3cret-password" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("s3cret-password")
    assert not user.check_password("s3cret-passwor")


def test_same_password_gives_different_hashes(ctx):
    a = new_user("alice", password="same-password")
    b = new_user("bobby", password="same-password")
    assert a.password_hash != b.password_hash  # salted


def test_create_user_defaults_and_profile(ctx):
    user = new_user("  alice  ", email="  Alice@Example.COM ", display_name="Alice L.")
    assert user.username == "alice"
    assert user.email == "alice@example.com"
    assert user.role is Role.AUTHOR
    assert user.active is True
    assert user.display_name == "Alice L."
    assert new_user("bobby").display_name == "bobby"


def test_create_user_does_not_commit(ctx):
    before = user_count()
    create_user(username="alice", email="a@example.com", password="long-enough-pw")
    db.session.rollback()
    assert user_count() == before


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("alice", "other@example.com"),
        ("ALICE", "other@example.com"),
        ("Alice", "other@example.com"),
        ("someone", "alice@example.com"),
        ("someone", "ALICE@Example.com"),
        ("someone", " alice@example.com "),
    ],
)
def test_duplicate_username_or_email_is_refused_case_insensitively(ctx, username, email):
    new_user("alice")
    before = user_count()
    with pytest.raises(AccountError, match="already in use"):
        create_user(username=username, email=email, password="long-enough-pw")
    db.session.rollback()
    assert user_count() == before


def test_owner_username_is_taken_too(ctx):
    with pytest.raises(AccountError):
        create_user(username="Owner", email="new@example.com", password="long-enough-pw")


@pytest.mark.parametrize("password", ["", "short", "x" * (MIN_PASSWORD_LENGTH - 1)])
def test_short_password_is_refused(ctx, password):
    with pytest.raises(AccountError, match=f"at least {MIN_PASSWORD_LENGTH} characters"):
        create_user(username="alice", email="alice@example.com", password=password)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.username == "alice")) is None


def test_password_of_exactly_the_minimum_length_is_accepted(ctx):
    user = new_user(password="k7#q" * (MIN_PASSWORD_LENGTH // 4))
    assert user.id is not None


# --- setup_blog -------------------------------------------------------------------------------


def test_setup_blog_creates_the_owner_and_the_site(make_app):
    app = make_app(setup=False)
    with app.app_context():
        assert not owner_exists()
        assert get_site() is None
        owner = setup_blog(
            title=" My Blog ", username=" ann ", email="ann@example.com", password="ann-password"
        )
        assert owner.role is Role.OWNER and owner.is_admin
        assert owner_exists()
        site = db.session.scalars(select(Site)).one()
        assert site.title == "My Blog"
        assert (
            '>About My Blog <a class="header-anchor" href="#about-my-blog">#</a></h1>'
            in site.about_html
        )
        assert "This blog is written by ann." in site.about_html
        assert owner.username == "ann"
        info = get_site()
        assert info is not None and info.title == "My Blog"


def test_setup_blog_twice_is_refused(ctx):
    assert owner_exists()
    with pytest.raises(AccountError, match="already been set up"):
        setup_blog(title="Again", username="eve", email="eve@example.com", password="eve-password")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Site.id))) == 1
    assert db.session.scalar(select(User).where(User.username == "eve")) is None


def test_failed_setup_leaves_nothing_behind(make_app):
    app = make_app(setup=False)
    with app.app_context():
        with pytest.raises(AccountError):
            setup_blog(title="T", username="ann", email="ann@example.com", password="short")
        db.session.rollback()
        assert not owner_exists()
        assert db.session.scalar(select(func.count(Site.id))) == 0


# --- authenticate -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "login", ["owner", "OWNER", " owner ", "owner@example.com", "OWNER@example.COM"]
)
def test_authenticate_by_username_or_email(ctx, login):
    user = authenticate(login=login, password=OWNER_PASSWORD)
    assert user is not None and user.username == "owner"


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("owner", "wrong-password"),
        ("owner", OWNER_PASSWORD.upper()),
        ("owner", OWNER_PASSWORD + " "),
        ("owner", ""),
        ("nobody", OWNER_PASSWORD),
        ("", OWNER_PASSWORD),
    ],
)
def test_authenticate_refuses_wrong_credentials(ctx, login, password):
    assert authenticate(login=login, password=password) is None


def test_authenticate_refuses_an_inactive_user(ctx):
    user = new_user("alice", password="alice-password")
    assert authenticate(login="alice", password="alice-password") is not None
    user.active = False
    db.session.commit()
    assert authenticate(login="alice", password="alice-password") is None
    assert authenticate(login="alice@example.com", password="alice-password") is None


# --- add_user, all_users ----------------------------------------------------------------------


def test_add_user_commits(ctx):
    user = add_user(username="alice", email="alice@example.com", password="long-enough-pw")
    db.session.rollback()  # nothing left pending: the user is already saved
    assert db.session.get(User, user.id) is not None
    assert user.role is Role.AUTHOR


def test_a_refused_add_user_leaves_the_session_clean(ctx):
    new_user("alice")
    with pytest.raises(AccountError, match="already in use"):
        add_user(username="ALICE", email="other@example.com", password="long-enough-pw")
    assert not (db.session.new or db.session.dirty or db.session.deleted)


def test_all_users_oldest_first(ctx):
    new_user("zed")
    new_user("amy")
    assert [user.username for user in all_users()] == ["owner", "zed", "amy"]


# --- links by mail: settings from the app's config, the title from the blog --------------------


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def mailed_token(to: str, path: str) -> str:
    """The token of the one `BASE + path` link mailed to `to`, checked in both parts."""
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to == to)).one()
    assert "Test Blog" in mail.subject  # the blog's own title
    match = re.search(re.escape(BASE + path) + r"([\w.-]+)", mail.text_body)
    assert match, mail.text_body
    assert match.group(0) in (mail.html_body or "")
    return match.group(1)


def test_a_password_reset_link_works_once(ctx):
    assert request_password_reset(email=" OWNER@example.com ")
    token = mailed_token("owner@example.com", "/auth/reset/")
    assert reset_password(token=token, password="brand-new-pass").check_password("brand-new-pass")
    with pytest.raises(TokenError, match="already been used"):
        reset_password(token=token, password="another-new-pass")


def test_a_reset_link_expires_after_the_configured_time(make_app):
    with make_app(MYBLOG_RESET_TOKEN_SECONDS=-1).app_context():
        request_password_reset(email="owner@example.com")
        token = mailed_token("owner@example.com", "/auth/reset/")
        with pytest.raises(TokenError, match="expired"):
            reset_password(token=token, password="brand-new-pass")


def test_an_email_change_waits_for_the_link(ctx):
    request_email_change(user=owner(), new_email="New@Example.com", password=OWNER_PASSWORD)
    token = mailed_token("new@example.com", "/auth/confirm-email/")
    assert owner().email == "owner@example.com"
    assert confirm_email_change(token=token).email == "new@example.com"


def test_an_email_change_link_expires_after_the_configured_time(make_app):
    with make_app(MYBLOG_EMAIL_TOKEN_SECONDS=-1).app_context():
        request_email_change(user=owner(), new_email="new@example.com", password=OWNER_PASSWORD)
        token = mailed_token("new@example.com", "/auth/confirm-email/")
        with pytest.raises(TokenError, match="expired"):
            confirm_email_change(token=token)
        assert owner().email == "owner@example.com"


def test_an_invitation_creates_the_account_once(ctx):
    invite_author(email="Ann@Example.com", role=Role.ADMIN, inviter=owner())
    token = mailed_token("ann@example.com", "/auth/invite/")
    assert read_invitation(token) == ("ann@example.com", Role.ADMIN)
    user = accept_invitation(token=token, username="ann", password="ann-password")
    db.session.rollback()  # nothing left pending: the account is already saved
    assert db.session.get(User, user.id) is not None
    with pytest.raises(TokenError, match="already been used"):
        read_invitation(token)


def test_an_invitation_expires_after_the_configured_time(make_app):
    with make_app(MYBLOG_INVITE_TOKEN_SECONDS=-1).app_context():
        invite_author(email="ann@example.com", role=Role.AUTHOR, inviter=owner())
        token = mailed_token("ann@example.com", "/auth/invite/")
        with pytest.raises(TokenError, match="expired"):
            read_invitation(token)


def test_a_refused_invitation_leaves_the_session_clean(ctx):
    invite_author(email="ann@example.com", role=Role.AUTHOR, inviter=owner())
    token = mailed_token("ann@example.com", "/auth/invite/")
    with pytest.raises(AccountError, match="already in use"):
        accept_invitation(token=token, username="owner", password="ann-password")
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    assert user_count() == 1


def test_changing_ones_own_password_asks_for_the_current_one(ctx):
    user = new_user("alice", password="long-enough-pw")
    token = user.session_token
    with pytest.raises(AccountError, match="current password is not right"):
        change_own_password(user, current="wrong-password", new="another-long-pw")
    assert user.check_password("long-enough-pw") and user.session_token == token
    change_own_password(user, current="long-enough-pw", new="another-long-pw")
    assert user.check_password("another-long-pw") and user.session_token != token
