"""The editor in a real browser: image upload into the body; a preview that runs no script."""

import re

import pytest
from browser_flows import set_up_blog
from PIL import Image
from playwright.sync_api import expect

INSERTED_IMAGE = re.compile(r"!\[[^\]]*\]\(/uploads/[0-9a-f]{32}\.png\)")
HOSTILE_BODY = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


@pytest.mark.browser
def test_uploaded_image_goes_into_body_and_preview(live_server, page, console, tmp_path):
    picture = tmp_path / "holiday photo.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture)
    set_up_blog(page, live_server)
    body = page.get_by_label("Body (Markdown)")
    body.fill("Before the picture.")

    page.locator("#image-upload").set_input_files(picture)
    expect(page.locator("#upload-status")).to_have_text("Inserted.")
    expect(body).to_have_value(INSERTED_IMAGE)
    markdown = body.input_value()
    assert markdown.startswith("Before the picture.")
    url = INSERTED_IMAGE.search(markdown).group(0).split("(")[1].rstrip(")")

    image = page.locator("#preview img")
    expect(image).to_have_attribute("src", url)
    expect(image).to_be_visible()
    # the browser fetched and decoded the stored file: it is the picture we sent
    expect(image).to_have_js_property("naturalWidth", 40)
    expect(image).to_have_js_property("naturalHeight", 30)

    assert console.unexpected() == []


@pytest.mark.browser
def test_svg_upload_is_refused_with_a_message(live_server, page, console, tmp_path):
    drawing = tmp_path / "drawing.svg"
    drawing.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<script>alert(1)</script><rect width="10" height="10"/></svg>'
    )
    set_up_blog(page, live_server)
    body = page.get_by_label("Body (Markdown)")
    body.fill("Text stays as it was.")
    # the refusal is a 400 answer, which Chromium logs like any failed request
    console.expect(r"status of 400 .*\(at http://127\.0\.0\.1:\d+/admin/uploads\)$")

    page.locator("#image-upload").set_input_files(drawing)
    expect(page.locator("#upload-status")).to_contain_text("not a supported image")
    expect(body).to_have_value("Text stays as it was.")

    assert console.unexpected() == []


@pytest.mark.browser
def test_preview_never_runs_script_from_the_body(live_server, page, console):
    set_up_blog(page, live_server)
    # the sanitised <img src="x"> still loads (and misses) the relative URL "x"
    console.expect(r"status of 404 .*\(at http://127\.0\.0\.1:\d+/admin/posts/x\)$")

    page.get_by_label("Body (Markdown)").fill(HOSTILE_BODY)
    stray = page.locator('#preview img[src="x"]')
    expect(stray).to_have_count(1)
    # once the image has failed to load, an onerror handler would have run by now
    expect(stray).to_have_js_property("complete", True)
    expect(stray).to_have_js_property("naturalWidth", 0)

    assert page.evaluate("window.pwned") is None
    preview_html = page.locator("#preview").inner_html()
    assert "<script" not in preview_html
    assert "pwned" not in preview_html
    assert "onerror" not in preview_html
    assert console.unexpected() == []


TOKEN_SECONDS = 2


@pytest.mark.browser
@pytest.mark.parametrize("live_server_settings", [{"WTF_CSRF_TIME_LIMIT": TOKEN_SECONDS}])
def test_editor_keeps_working_after_its_csrf_token_expired(live_server, page, console):
    # the editor's page was served with a token that expires in TOKEN_SECONDS (hours in
    # production): past that, the preview and the save fetch a fresh one first
    set_up_blog(page, live_server)
    body = page.get_by_label("Body (Markdown)")
    page.get_by_label("Title").fill("Written over a long afternoon")
    # wait, on the browser's clock, past a moment the page's own token cannot outlive
    expired_at = page.evaluate("Date.now()") + (TOKEN_SECONDS + 1) * 1000
    while page.evaluate("Date.now()") <= expired_at:
        page.wait_for_timeout(200)

    body.fill("Still **here** after the token expired.")
    expect(page.locator("#preview strong")).to_have_text("here")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Saved “Written over a long afternoon”")

    assert console.unexpected() == []
