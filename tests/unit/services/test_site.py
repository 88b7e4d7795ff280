"""Blog settings: the row behind the settings form, and saving it."""

from __future__ import annotations

import pytest

from myblog.extensions import db
from myblog.models import CommentPolicy
from myblog.services.site import get_site, settings_row, update_site


def test_settings_row_is_the_blog_set_up_at_first_run(ctx):
    row = settings_row()
    assert row is not None and row.title == "Test Blog"


def test_settings_row_is_none_before_setup(make_app):
    with make_app(setup=False).app_context():
        assert settings_row() is None


def test_update_site_saves_and_refreshes_the_cached_settings(ctx):
    assert get_site().title == "Test Blog"
    update_site(
        title=" New ", tagline="t", about="# Hi", comment_policy=CommentPolicy.OPEN, language="zh"
    )
    db.session.rollback()  # nothing left pending: the settings are already saved
    info = get_site()
    assert (info.title, info.comment_policy, info.language) == ("New", CommentPolicy.OPEN, "zh")
    assert '>Hi <a class="header-anchor" href="#hi">#</a></h1>' in info.about_html


def test_an_unknown_language_is_refused_before_anything_changes(ctx):
    with pytest.raises(ValueError, match="unsupported language"):
        update_site(title="Changed", tagline="", about="", language="fr")
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    assert settings_row().title == "Test Blog"


def test_image_hosts_become_csp_sources():
    from myblog.services.site import image_sources

    assert image_sources(
        "img.example.com\nHTTPS://i.imgur.com/, *.github.io  http://old.example.org:8080 "
        "例子.测试 img.example.com"
    ) == [
        "https://img.example.com",
        "https://i.imgur.com",
        "https://*.github.io",
        "http://old.example.org:8080",
        "https://xn--fsqu00a.xn--0zwm56d",
    ]
    assert image_sources("  \n ") == []


@pytest.mark.parametrize(
    "entry",
    [
        "*", "*.com", "'self'", "'unsafe-eval'", "data:", "blob:", "https:", "example.com/x.png",
        "ex ample.com;", "a;b.com", "127.0.0.1", "[::1]", "localhost", "ftp://example.com",
        "javascript://example.com", "example.com:0", "example.com:70000", "-bad-.com",
    ],
)  # fmt: skip
def test_anything_but_a_host_name_is_refused(entry):
    from myblog.services.site import ImageHostError, image_sources

    with pytest.raises(ImageHostError):
        image_sources(entry)


def test_at_most_twenty_image_hosts():
    from myblog.services.site import ImageHostError, image_sources

    assert len(image_sources(" ".join(f"h{n}.example.com" for n in range(20)))) == 20
    with pytest.raises(ImageHostError, match="At most 20"):
        image_sources(" ".join(f"h{n}.example.com" for n in range(21)))
