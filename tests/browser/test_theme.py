"""Light or dark: the reader's system decides until the reader chooses."""

import pytest
from browser_flows import set_up_blog
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_theme_follows_the_system_until_the_reader_chooses(page, live_server, console):
    set_up_blog(page, live_server)
    page.goto(live_server + "/")  # out of the editor before the owner's cookies go
    page.context.clear_cookies()  # a reader, with no choice made
    page.emulate_media(color_scheme="dark")
    page.goto(live_server + "/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "dark")
    expect(page.locator("#theme-toggle")).to_have_text("☀ Light")
    page.emulate_media(color_scheme="light")  # the system changes: the page follows
    expect(html).to_have_attribute("data-bs-theme", "light")
    expect(page.locator("#theme-toggle")).to_have_text("☾ Dark")

    page.locator("#theme-toggle").click()  # now the reader chooses dark
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.emulate_media(color_scheme="light")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")  # the choice wins over the system
    assert console.unexpected() == []
