"""The admin on a phone: the menu folds behind a button, and the lists fit the screen's width."""

from __future__ import annotations

import re

import pytest
from browser_flows import set_up_blog
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# a title with no place to break, and a long one in Chinese
TITLES = ["Notes-on-a-very-long-configuration-file-name-without-spaces.yaml", "读书笔记" * 12]
LISTS = [
    "/admin/",
    "/admin/posts",
    "/admin/media",
    "/admin/comments",
    "/admin/notifications",
    "/admin/categories",
    "/admin/users",
    "/admin/outbox",
    "/admin/subscribers",
    "/admin/import",
]


def write_posts(page, base: str) -> None:
    for title in TITLES:
        page.goto(base + "/admin/posts/new")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Body (Markdown)").fill("Some words.")
        page.get_by_label("Tags").fill("phone, 手机")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".alert-success")).to_contain_text("Saved")


def page_scrolls_sideways(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")


def test_the_admin_menu_folds_on_a_phone_and_opens_from_its_button(page, live_server, console):
    set_up_blog(page, live_server)
    write_posts(page, live_server)
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/admin/posts")
    toggler = page.get_by_role("button", name="Admin menu")
    menu = page.locator("#admin-nav")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(menu.get_by_role("link", name="Settings")).to_be_hidden()

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Settings")).to_be_visible()
    menu.get_by_role("link", name="Comments").click()
    expect(page).to_have_url(re.compile(r"/admin/comments$"))
    expect(page.locator("#admin-nav")).to_be_hidden()  # a new page starts folded again
    assert console.unexpected() == []


def test_the_post_list_fits_a_phone_without_sideways_scrolling(page, live_server, console):
    set_up_blog(page, live_server)
    write_posts(page, live_server)
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/admin/posts")
    rows = page.locator("table.admin-posts tbody tr")
    expect(rows).to_have_count(len(TITLES))
    expect(rows.first.get_by_role("link", name="Delete")).to_be_visible()
    assert not page_scrolls_sideways(page)
    # the table itself fits too: nothing hides behind a sideways scroll inside it
    table_box = page.locator("table.admin-posts").bounding_box()
    assert table_box is not None and table_box["width"] <= PHONE["width"]
    assert console.unexpected() == []


def test_every_admin_list_fits_a_phone(page, live_server, console):
    set_up_blog(page, live_server)
    write_posts(page, live_server)
    page.set_viewport_size(PHONE)
    wide = []
    for path in LISTS:
        page.goto(live_server + path)
        if page_scrolls_sideways(page):
            wide.append(path)
    assert wide == []
    assert console.unexpected() == []


def test_on_a_wide_screen_the_menu_stays_open_beside_the_page(page, live_server, console):
    set_up_blog(page, live_server)
    page.goto(live_server + "/admin/posts")
    expect(page.get_by_role("button", name="Admin menu")).to_be_hidden()
    expect(page.locator("#admin-nav").get_by_role("link", name="Settings")).to_be_visible()
    assert console.unexpected() == []
