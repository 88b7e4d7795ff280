"""Absolute links in and out of a request."""

from myblog.services.links import external_url


def test_outside_a_request_the_base_url_is_used(make_app):
    app = make_app(MYBLOG_BASE_URL="https://blog.example.org/notes")
    with app.app_context():
        assert external_url("blog.show_post", slug="a-b") == (
            "https://blog.example.org/notes/post/a-b"
        )


def test_inside_a_request_the_request_host_is_used(app):
    with app.test_request_context(base_url="http://reader.example:8080"):
        assert external_url("blog.index") == "http://reader.example:8080/"
