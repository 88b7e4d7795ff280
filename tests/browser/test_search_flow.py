"""A reader types in the navigation's search box and reaches the post."""

import re

import pytest
from browser_flows import set_up_blog
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def publish(page, title: str, body: str, tags: str = "") -> None:
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body (Markdown)").fill(body)
    page.get_by_label("Tags").fill(tags)
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Saved")


def test_typing_in_the_navigation_box_finds_posts(page, live_server, console):
    set_up_blog(page, live_server)
    publish(page, "搜索引擎笔记", "How **Flask** apps search: `<script>` stays text.", "notes")
    page.goto(live_server + "/")
    box = page.get_by_role("searchbox", name="Search posts")
    box.fill("搜")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=%E6%90%9C$"))
    expect(page).to_have_title(re.compile(r"^Search: 搜 · "))
    expect(page.locator("#search-count")).to_have_text("1 post found.")
    expect(page.locator(".search-hit h2 mark")).to_have_text("搜")

    box = page.get_by_role("navigation", name="Main").get_by_role("searchbox")
    box.fill("FLA script")
    box.press("Enter")
    expect(page.locator(".search-snippet mark")).to_have_text(["Flask", "script"])
    expect(page.locator(".search-snippet")).to_contain_text("<script>")
    page.locator(".search-hit h2 a").click()
    expect(page).to_have_url(re.compile(r"/post/"))
    expect(page.get_by_role("heading", name="搜索引擎笔记")).to_be_visible()

    page.go_back()
    box = page.get_by_role("navigation", name="Main").get_by_role("searchbox")
    box.fill('"unbalanced')
    box.press("Enter")
    expect(page.locator("#search-none")).to_contain_text("No published post matches")
    assert console.unexpected() == []
