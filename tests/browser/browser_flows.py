"""What a person does in the browser, shared by the browser tests."""

from __future__ import annotations

import re
from typing import Any

BLOG_TITLE = "Notes from the Browser"
OWNER = {"username": "alice", "email": "alice@example.com", "password": "s3cret-browser-pass"}


def set_up_blog(page: Any, base_url: str) -> None:
    """Go through the first-run page as a new owner would; ends logged in, in the editor."""
    from playwright.sync_api import expect

    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/auth/setup$"))
    page.get_by_label("Blog title").fill(BLOG_TITLE)
    page.get_by_label("Username").fill(OWNER["username"])
    page.get_by_label("Email").fill(OWNER["email"])
    page.get_by_label("Password", exact=True).fill(OWNER["password"])
    page.get_by_label("Repeat password").fill(OWNER["password"])
    page.get_by_role("button", name="Create my blog").click()
    expect(page).to_have_url(re.compile(r"/admin/posts/new$"))
    expect(page.get_by_role("heading", name="New post")).to_be_visible()
