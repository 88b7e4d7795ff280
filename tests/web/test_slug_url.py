"""slug_url builds exactly what url_for builds, for every one-argument public route."""

import pytest

from myblog.hooks import slug_url


@pytest.mark.parametrize(
    "endpoint", ["blog.show_post", "blog.show_category", "blog.show_tag", "blog.show_author"]
)
@pytest.mark.parametrize("value", ["flask-ru-men", "a b", "笔记", "x?y#z", "50%", "a&b=c", "é"])
def test_slug_url_matches_url_for(app, endpoint, value):
    from flask import url_for

    arg = "username" if endpoint == "blog.show_author" else "slug"
    with app.test_request_context("/"):
        assert slug_url(endpoint, value) == url_for(endpoint, **{arg: value})


def test_slug_url_keeps_the_script_root(app):
    from flask import url_for

    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/blog"}):
        assert slug_url("blog.show_tag", "web") == url_for("blog.show_tag", slug="web")
        assert slug_url("blog.show_tag", "web") == "/blog/tag/web"
