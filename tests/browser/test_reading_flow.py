"""Reading a long note: the table of contents jumps to headings, code blocks copy themselves."""

from __future__ import annotations

import re

import pytest
from browser_flows import set_up_blog
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FILLER = "\n\n".join(["这是一段很长的笔记正文，用来把页面撑高。Some English words too."] * 12)
BODY = "\n\n".join(
    f"## 第 {n} 节 Section {n}\n\n{FILLER}\n\n```python\nprint({n})\nvalue = {n} * 2\n```"
    for n in range(1, 7)
)


def publish_long_note(page, base_url: str) -> str:
    # no smooth scrolling (Bootstrap's, when motion is not reduced): a jump lands at once, so a
    # busy machine cannot make the test wait out the animation
    page.emulate_media(reduced_motion="reduce")
    set_up_blog(page, base_url)
    page.get_by_label("Title").fill("A long note")
    page.get_by_label("Body (Markdown)").fill(BODY)
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("(published)")
    page.goto(base_url + "/")
    page.get_by_role("link", name="A long note").click()
    expect(page.get_by_role("heading", name="A long note")).to_be_visible()
    return page.url


def reaches_the_top(page, heading) -> None:
    """Wait until the heading is at the top of the window."""
    page.wait_for_function(
        "el => Math.abs(el.getBoundingClientRect().top) < 50", arg=heading.element_handle()
    )


def test_contents_links_jump_to_their_headings(page, live_server, console):
    publish_long_note(page, live_server)
    toc = page.locator("aside.post-toc nav.toc")
    expect(toc).to_be_visible()
    # wide screen: a column beside the text, which stays in view while the text scrolls
    body_box = page.locator(".post-body").bounding_box()
    assert toc.bounding_box()["x"] > body_box["x"] + body_box["width"]
    assert page.evaluate("window.scrollY") == 0
    toc.get_by_role("link", name="第 5 节 Section 5").click()
    expect(page).to_have_url(re.compile(r"#[^#]+$"))
    target = page.evaluate("decodeURIComponent(location.hash)")
    heading = page.locator(f"[id='{target[1:]}']")
    expect(heading).to_have_text(re.compile("Section 5"))
    reaches_the_top(page, heading)
    assert page.evaluate("window.scrollY") > 1000
    expect(toc).to_be_in_viewport()  # sticky
    # the section being read is marked in the contents
    expect(toc.get_by_role("link", name="第 5 节 Section 5")).to_have_attribute(
        "aria-current", "location"
    )
    expect(toc.locator("a[aria-current]")).to_have_count(1)
    # keyboard: the links are reachable and work with Enter
    toc.get_by_role("link", name="第 2 节 Section 2").focus()
    page.keyboard.press("Enter")
    reaches_the_top(page, page.locator("h2", has_text="Section 2"))
    expect(page).to_have_url(re.compile(r"section-2$"))
    assert console.unexpected() == []


def test_on_a_phone_the_contents_come_first(page, live_server, console):
    url = publish_long_note(page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    toc, body = page.locator("aside.post-toc"), page.locator(".post-body")
    assert toc.bounding_box()["y"] + toc.bounding_box()["height"] <= body.bounding_box()["y"] + 1
    toc.get_by_role("link", name="第 6 节 Section 6").click()
    reaches_the_top(page, page.locator("h2", has_text="Section 6"))
    assert console.unexpected() == []


def test_the_copy_button_copies_a_code_block(browser, page, live_server, console):
    url = publish_long_note(page, live_server)
    reader = browser.new_context(viewport={"width": 1280, "height": 900})
    reader.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    tab = reader.new_page()
    tab.on("console", console.on_console)
    tab.on("pageerror", console.on_page_error)
    tab.goto(url)
    buttons = tab.get_by_role("button", name="Copy")
    expect(buttons).to_have_count(6)
    block = tab.locator(".post-body .highlight").nth(2)
    block.get_by_role("button", name="Copy").click()
    expect(block.locator(".code-copy")).to_have_text("Copied")
    assert tab.evaluate("navigator.clipboard.readText()") == "print(3)\nvalue = 3 * 2"
    expect(block.locator(".code-copy")).to_have_text("Copy", timeout=4000)  # back after a while
    reader.close()
    assert console.unexpected() == []
