"""The templates' link helpers build exactly what url_for builds, escaped for HTML."""

import pytest


def test_link_prefix_keeps_the_script_root(app):
    from flask import render_template_string, url_for

    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/blog"}):
        page = render_template_string("{{ 'web'|path_segment(link_prefix('blog.show_tag')) }}")
        assert page == url_for("blog.show_tag", slug="web") == "/blog/tag/web"


@pytest.mark.parametrize(
    "endpoint", ["blog.show_post", "blog.show_category", "blog.show_tag", "blog.show_author"]
)
@pytest.mark.parametrize(
    "value", ["flask-ru-men", "a b", "笔记", "x?y#z", "50%", "a&b=c", "é", "a'b"]
)
def test_link_prefix_and_path_segment_make_the_escaped_url_for(app, endpoint, value):
    from flask import render_template_string, url_for
    from markupsafe import escape

    arg = "username" if endpoint == "blog.show_author" else "slug"
    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/root"}):
        page = render_template_string(
            '<a href="{{ link_prefix(e) }}{{ v|path_segment }}">', e=endpoint, v=value
        )
        assert page == f'<a href="{escape(url_for(endpoint, **{arg: value}))}">'


def test_template_url_for_follows_the_script_root_and_builds_external_urls(app):
    from flask import render_template_string

    source = "{{ url_for('blog.about') }} {{ url_for('blog.about', _external=True) }}"
    with app.test_request_context("/", base_url="http://one.example/"):
        assert render_template_string(source) == "/about http://one.example/about"
    with app.test_request_context("/", base_url="http://two.example/blog/"):
        assert render_template_string(source) == "/blog/about http://two.example/blog/about"
    with app.test_request_context("/", base_url="http://one.example/"):
        assert render_template_string(source) == "/about http://one.example/about"
        assert render_template_string("{{ url_for('blog.show_tag', slug='a b') }}") == "/tag/a%20b"
