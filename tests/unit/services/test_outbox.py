"""Mail for services: templated mail (subject in the template, both parts, the blog language,
English fallback) and enqueue in the caller's transaction."""

from __future__ import annotations

import re

import pytest
from jinja2 import TemplateNotFound
from outbox_support import T0, queued, row
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus, User
from myblog.services.outbox import enqueue, queue_mail, render_mail
from myblog.services.site import update_site


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxEmail.id))) or 0


# --- enqueue --------------------------------------------------------------------------------


def test_enqueue_does_not_commit(ctx):
    enqueue(to="a@example.com", subject="s", text_body="t")
    db.session.rollback()
    assert outbox_count() == 0


def test_enqueue_commits_with_the_callers_transaction(ctx):
    email = enqueue(
        to="a@example.com",
        subject="Subject",
        text_body="text",
        html_body="<p>html</p>",
        headers={"List-Unsubscribe": "<https://example.com/u>"},
        now=T0,
    )
    db.session.commit()
    db.session.expire_all()
    stored = row(email.id)
    assert stored.status == OutboxStatus.PENDING
    assert stored.attempts == 0
    assert stored.next_attempt_at == T0
    assert stored.html_body == "<p>html</p>"
    assert '"List-Unsubscribe"' in stored.headers
    assert stored.message_id.startswith("<") and stored.message_id.endswith("@localhost>")
    assert repr(stored) == f"<OutboxEmail {stored.id} to='a@example.com' pending>"


def test_message_ids_are_unique(ctx):
    ids = queued(3)
    assert len({row(i).message_id for i in ids}) == 3


# --- composing: templated mail -----------------------------------------------------------------


def _owner() -> User:
    return db.session.scalars(select(User)).one()


def test_english_by_default(ctx):
    mail = render_mail("reset_password", user=_owner(), link="http://x/reset/t", site_title="B")
    assert mail.subject == "Reset your password for B"
    assert "http://x/reset/t" in mail.text and "Hello owner," in mail.text
    assert 'href="http://x/reset/t"' in mail.html and '<html lang="en">' in mail.html


def test_the_blog_language_picks_the_translation(ctx):
    update_site(title="B", tagline="", about="", language="zh_CN")
    mail = render_mail("reset_password", user=_owner(), link="http://x/r", site_title="B")
    assert mail.subject == "重置你在 B 的密码"
    assert "设置新密码" in mail.html and '<html lang="zh-CN">' in mail.html


def test_a_language_without_a_translation_falls_back_to_english(ctx):
    mail = render_mail(
        "invite", language="fr", inviter=_owner(), link="http://x", site_title="B", role="author"
    )
    assert mail.subject == "owner invites you to write on B"


def test_text_part_is_not_html_escaped_and_html_part_is(ctx):
    owner = _owner()
    owner.profile.display_name = "<Tom & Jerry>"
    mail = render_mail("reset_password", user=owner, link="http://x/?a=1&b=2", site_title="B")
    assert "Hello <Tom & Jerry>," in mail.text
    assert "&lt;Tom &amp; Jerry&gt;" in mail.html and "<Tom" not in mail.html
    db.session.rollback()


def test_unsupported_language_is_refused(ctx):
    with pytest.raises(ValueError):
        update_site(title="B", tagline="", about="", language="xx")


def test_unknown_template_is_an_error(ctx):
    with pytest.raises(TemplateNotFound):
        render_mail("no_such_mail")


def test_queue_mail_adds_a_row_in_the_callers_transaction(ctx):
    queue_mail(
        "invite",
        to="a@example.com",
        inviter=_owner(),
        link="http://x",
        site_title="B",
        role="author",
        headers={"X-Test": "1"},
    )
    db.session.rollback()
    assert db.session.scalar(select(OutboxEmail.id)) is None
    queue_mail(
        "invite", to="a@example.com", inviter=_owner(), link="http://x", site_title="B", role="a"
    )
    db.session.commit()
    row = db.session.scalars(select(OutboxEmail)).one()
    assert row.subject == "owner invites you to write on B" and row.html_body


def _every_mail() -> dict[str, dict[str, object]]:
    """Each mail template with the context its service gives it."""
    from types import SimpleNamespace as Obj

    person = Obj(display_name="Ann")
    post = Obj(title="Notes")
    comment = Obj(name="Bob", parent=Obj(name="Ann"), body="Hi", body_html="<p>Hi</p>")
    links = {"link": "http://x/l", "site_title": "B"}
    return {
        "comment_reply": {"parent": Obj(name="Ann"), "reply": comment, "post": post, **links},
        "confirm_email": {"user": person, "new_email": "a@example.com", **links},
        "invite": {"inviter": person, "role": "author", **links},
        "new_comment": {
            "comment": comment, "post": post, "pending": True, "moderate_link": "m", **links,
        },
        "new_post": {
            "title": "Notes", "author": "Ann", "excerpt": "Hi", "post_link": "p",
            "unsubscribe_link": "u", "site_title": "B",
        },
        "reset_password": {"user": person, **links},
        "subscribe_confirm": {"email": "a@example.com", "days": 7, **links},
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(_every_mail()))
def test_every_mail_is_written_whole_in_chinese(ctx, name):
    english = render_mail(name, language="en", **_every_mail()[name])
    chinese = render_mail(name, language="zh_CN", **_every_mail()[name])
    assert english.subject and chinese.subject
    assert '<html lang="zh-CN">' in chinese.html and '<html lang="en">' in english.html
    # every sentence of ours is translated: what is left in Latin letters is the context's
    ours = re.sub(r"https?://\S+|\S+@\S+", " ", chinese.text + chinese.subject)
    assert set(re.findall(r"[A-Za-z]{4,}", ours)) <= {"Notes"}
    assert re.search(r"[\u4e00-\u9fff]", chinese.html)
