"""A blog with something of every kind in it, and zips read back: for the export tests."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

from PIL import Image
from writing import NOW, new_user, owner, write

from myblog.extensions import db
from myblog.models import Comment, CommentPolicy, CommentStatus, PostStatus, Subscriber
from myblog.services.posts import PostInput, save_post
from myblog.services.site import update_site
from myblog.services.taxonomy import create_category
from myblog.services.uploads import save_upload

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "porting"


def run(app, *args: str):
    """Run a flask command of this app."""
    return app.test_cli_runner().invoke(args=list(args))


def entries(path: Path) -> dict[str, bytes]:
    """Every file of a zip, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def fill_blog(app) -> None:
    """A blog with something of every kind in it."""
    with app.app_context():
        update_site(
            title="往返",
            tagline="there and back",
            about="# About\n\nWho writes here.",
            comment_policy=CommentPolicy.OPEN,
            language="zh_CN",
            timezone="Asia/Shanghai",
        )
        alice = new_user("alice")
        image = save_upload(png(), original_name="red.png", uploader=alice)
        notes = create_category("随笔").id
        first = write(
            "读书笔记",
            status=PostStatus.PUBLISHED,
            published_at=NOW - timedelta(days=3),
            category_id=notes,
            tags=["Flask", "python"],
            summary="What I read.",
            body=f"Line one\r\nwith a CRLF.\n\n![red](/uploads/{image.filename})\n",
        )
        was_live = write(
            "Was live", status=PostStatus.PUBLISHED, published_at=NOW - timedelta(days=9)
        )
        # back to a draft, keeping the date it was live from
        save_post(PostInput("Was live", "x"), author=owner(), post=was_live, now=NOW)
        write("Later", status=PostStatus.SCHEDULED, published_at=NOW + timedelta(days=3650))
        write("Quiet", author=alice, status=PostStatus.PUBLISHED, allow_comments=False)
        parent = Comment(
            post=first,
            name="Bob",
            email="bob@example.net",
            body="Nice.",
            body_html="<p>Nice.</p>",
            status=CommentStatus.APPROVED,
            created_at=NOW - timedelta(days=2),
            notify_replies=True,
        )
        db.session.add(parent)
        db.session.flush()
        db.session.add_all(
            [
                Comment(
                    post=first,
                    parent_id=parent.id,
                    author_id=alice.id,
                    name="alice",
                    email="alice@example.com",
                    body="Thanks!",
                    body_html="<p>Thanks!</p>",
                    status=CommentStatus.APPROVED,
                    created_at=NOW - timedelta(days=1),
                ),
                Comment(
                    post=first,
                    name="Spammer",
                    email="s@example.net",
                    website="https://s.example",
                    body="Buy",
                    body_html="<p>Buy</p>",
                    status=CommentStatus.SPAM,
                    created_at=NOW - timedelta(days=1),
                ),
                Subscriber(email="reader@example.com", created_at=NOW, confirmed_at=NOW),
                Subscriber(email="maybe@example.com", created_at=NOW),
            ]
        )
        db.session.commit()
