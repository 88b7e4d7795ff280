"""A new owner in a real browser: set up, log out and in, write with live preview, publish, read."""

import re

import pytest
from browser_flows import BLOG_TITLE, OWNER, set_up_blog
from playwright.sync_api import expect

POST_TITLE = "Tables and code, from the browser"
POST_BODY = """Some languages and when they appeared:

| Language | Year |
| -------- | ---: |
| Python   | 1991 |
| Rust     | 2015 |

```python
def greet(name):
    return f"Hello, {name}!"
```
"""


def log_out_and_back_in(page, base_url: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert")).to_contain_text("You have logged out.")
    expect(page.get_by_role("link", name="Write", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("Username or email").fill(OWNER["username"])
    page.get_by_label("Password", exact=True).fill(OWNER["password"])
    page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome back")
    cookies = {c["name"] for c in page.context.cookies(base_url)}
    assert "remember_token" in cookies


def write_and_publish(page) -> None:
    page.get_by_role("link", name="Write", exact=True).click()
    expect(page.get_by_role("heading", name="New post")).to_be_visible()
    page.get_by_label("Title").fill(POST_TITLE)
    page.get_by_label("Body (Markdown)").fill(POST_BODY)
    preview = page.locator("#preview")
    expect(preview.locator("table")).to_be_visible()
    expect(preview.locator("td.text-end").first).to_have_text("1991")
    expect(preview.locator(".highlight")).to_contain_text("def greet(name):")
    page.get_by_label("Tags").fill("python, tables")
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Saved “{POST_TITLE}” (published).")


@pytest.mark.browser
def test_owner_sets_up_writes_and_publishes(live_server, page, console, tmp_path):
    set_up_blog(page, live_server)
    expect(page.get_by_role("alert")).to_contain_text("Your blog is ready")
    log_out_and_back_in(page, live_server)
    write_and_publish(page)

    page.goto(live_server + "/")
    expect(page.get_by_role("link", name=BLOG_TITLE)).to_be_visible()
    page.get_by_role("link", name=POST_TITLE).click()
    expect(page.get_by_role("heading", level=1, name=POST_TITLE)).to_be_visible()
    body = page.locator("article .post-body")
    expect(body.locator("table th").first).to_have_text("Language")
    expect(body.locator("table td").nth(2)).to_have_text("Rust")
    # highlighted means Pygments split the code into classed tokens, not just a <pre>
    expect(body.locator(".highlight")).to_contain_text('return f"Hello, {name}!"')
    expect(body.locator(".highlight span.k").first).to_have_text("def")
    expect(page.get_by_role("list", name="Tags")).to_contain_text("#python")

    shot = tmp_path / "post.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 0
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")
    page.locator("#theme-toggle").click()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    expect(page).to_have_url(re.compile(r"/post/"))  # the toggle returns to the same page
    page.locator("#theme-toggle").click()
    expect(html).to_have_attribute("data-bs-theme", "light")

    assert console.unexpected() == []
