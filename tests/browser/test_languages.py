"""Chinese or English: the reader switches the interface; the owner's time zone rules the
editor's publishing time."""

import re
import sqlite3

import pytest
from browser_flows import set_up_blog
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_switching_the_interface_to_chinese_persists_across_pages(page, live_server, console):
    set_up_blog(page, live_server)
    page.goto(live_server + "/")
    page.context.clear_cookies()  # a reader whose browser asks for English
    page.goto(live_server + "/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Archive")).to_be_visible()

    page.get_by_role("button", name="简体中文").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_url(live_server + "/")  # back where the reader was
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="归档")).to_be_visible()
    expect(page.get_by_role("link", name="邮件订阅")).to_be_visible()

    nav.get_by_role("link", name="归档").click()  # another page: still Chinese
    expect(page).to_have_url(re.compile(r"/archive$"))
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="归档")).to_be_visible()
    page.get_by_role("link", name="登录").click()
    expect(page.get_by_label("用户名或邮箱")).to_be_visible()

    page.get_by_role("button", name="English").click()  # and back
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username or email")).to_be_visible()
    assert console.unexpected() == []


def test_a_scheduled_time_is_entered_in_the_blogs_zone(page, live_server, tmp_path, console):
    set_up_blog(page, live_server)
    page.goto(live_server + "/admin/settings")
    page.get_by_label("Time zone").select_option("Asia/Shanghai")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Shanghai")

    page.goto(live_server + "/admin/posts/new")
    page.get_by_label("Title").fill("Happy new year")
    page.get_by_label("Body (Markdown)").fill("See you in 2030.")
    page.get_by_label("Status").select_option("scheduled")
    when = page.get_by_label("Publish at (Asia/Shanghai)")
    when.fill("2030-01-01T09:00")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/posts/\d+/edit$"))

    # shown back as the owner entered it, in Shanghai time…
    expect(page.get_by_label("Publish at (Asia/Shanghai)")).to_have_value("2030-01-01T09:00")
    # …and stored in UTC, eight hours earlier
    with sqlite3.connect(tmp_path / "browser.sqlite") as database:
        (stored,) = database.execute(
            "SELECT published_at FROM posts WHERE title = 'Happy new year'"
        ).fetchone()
    assert str(stored).startswith("2030-01-01 01:00:00")
    assert console.unexpected() == []
