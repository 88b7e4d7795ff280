"""is_safe_next: only a path on this site, never anything a browser could read as another host."""

from __future__ import annotations

import pytest

from myblog.services.redirects import is_safe_next

SAFE = [
    "/",
    "/admin/",
    "/admin/posts",
    "/admin/posts?status=draft&page=2",
    "/post/flask-ru-men#comments",
    "/tag/%E7%AC%94%E8%AE%B0",
    "/post/笔记",
    "/%5Cevil.com",  # a literal percent sign: the path "/%5Cevil.com" on this host
    "/a//b",  # a doubled slash later in the path is still a path
    "/?next=//evil.com",  # what the query says is not where we go
    "/https://evil.com",
]

UNSAFE = [
    None,
    "",
    " ",
    "admin/posts",  # relative
    "evil.com",
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\\/evil.com",
    "https://evil.com",
    "http://localhost/admin/",  # even our own host, when spelled absolute
    "HTTPS://evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "mailto:someone@example.com",
    " /admin/",  # leading space
    "/\tevil.com",
    "/\t/evil.com",
    "/\r\nSet-Cookie: x=1",
    "/\nevil.com",
    "/\x00evil.com",
]


@pytest.mark.parametrize("target", SAFE)
def test_local_paths_are_safe(target):
    assert is_safe_next(target) is True


@pytest.mark.parametrize("target", UNSAFE)
def test_anything_else_is_unsafe(target):
    assert is_safe_next(target) is False
