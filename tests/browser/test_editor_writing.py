"""Writing without losing anything, in Chromium: autosave that survives a crash, the warning
before leaving unsaved work, revisions restored, images pasted and dropped, Ctrl+S, a new
category, a preview that follows the cursor, and a socket that closes cleanly."""

from __future__ import annotations

import base64
import io
import re

import pytest
from browser_flows import set_up_blog
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FAST_AUTOSAVE = [{"MYBLOG_AUTOSAVE_SECONDS": 0.3}]
PASTED_IMAGE = re.compile(r"!\[A red square\]\(/uploads/[0-9a-f]{32}\.png\)")


def png_base64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (220, 20, 20)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def admin_link(page, name: str):
    return page.get_by_role("navigation", name="Admin").get_by_role("link", name=name)


def saved(page, title: str) -> None:
    expect(page.get_by_role("alert")).to_contain_text(f"Saved “{title}”")


@pytest.mark.parametrize("live_server_settings", FAST_AUTOSAVE)
def test_autosave_survives_a_crash_and_is_offered_back(live_server, page, console):
    set_up_blog(page, live_server)
    page.get_by_label("Title").fill("Notes on a train")
    body = page.get_by_label("Body (Markdown)")
    body.click()
    page.keyboard.type("The first paragraph, typed and never saved.")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Saved")
    assert page.locator(".editor").get_attribute("data-autosave-via") == "socket"
    expect(status).to_have_text(re.compile(r"Saved \d+ s ago"), timeout=4000)

    # the browser dies: no beforeunload, no save; a new window opens the editor again
    reopened = page.context.new_page()
    reopened.on("console", console.on_console)
    page.close()
    reopened.goto(live_server + "/admin/posts/new")
    banner = reopened.locator("#autosave-restore")
    expect(banner).to_contain_text("You have unsaved changes from")
    expect(reopened.get_by_label("Body (Markdown)")).to_have_value("")
    reopened.get_by_role("button", name="Restore my unsaved changes").click()
    expect(banner).to_have_count(0)
    expect(reopened.get_by_label("Title")).to_have_value("Notes on a train")
    expect(reopened.get_by_label("Body (Markdown)")).to_have_value(
        "The first paragraph, typed and never saved."
    )
    expect(reopened.locator("#preview p")).to_have_text(
        "The first paragraph, typed and never saved."
    )
    reopened.get_by_role("button", name="Save").click()
    saved(reopened, "Notes on a train")
    reopened.goto(live_server + "/admin/posts/new")  # the save superseded the autosave
    expect(reopened.locator("#autosave-restore")).to_have_count(0)
    assert console.unexpected() == []


@pytest.mark.parametrize("live_server_settings", FAST_AUTOSAVE)
def test_autosave_falls_back_to_http_without_a_socket(live_server, page, console):
    page.add_init_script("window.WebSocket = undefined;")
    set_up_blog(page, live_server)
    page.get_by_label("Title").fill("No sockets here")
    page.get_by_label("Body (Markdown)").fill("Kept over plain HTTP.")
    expect(page.locator("#autosave-status")).to_contain_text("Saved")
    assert page.locator(".editor").get_attribute("data-autosave-via") == "http"
    assert console.unexpected() == []


def test_leaving_with_unsaved_changes_asks_first_but_not_after_saving(live_server, page, console):
    set_up_blog(page, live_server)
    page.get_by_label("Title").fill("Careful")
    page.get_by_label("Body (Markdown)").click()
    page.keyboard.type("Words not saved yet.")
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    admin_link(page, "Dashboard").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/admin/posts/new$"))  # stayed, the text with it
    expect(page.get_by_label("Body (Markdown)")).to_have_value("Words not saved yet.")

    page.get_by_role("button", name="Save").click()
    saved(page, "Careful")
    admin_link(page, "Dashboard").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert dialogs == ["beforeunload"]  # no question once saved
    assert console.unexpected() == []


def test_ctrl_s_saves_and_a_category_is_created_from_the_editor(live_server, page, console):
    set_up_blog(page, live_server)
    page.get_by_label("Title").fill("Saved from the keyboard")
    page.get_by_label("Or a new category").fill("Travel notes")
    page.get_by_label("Body (Markdown)").click()
    page.keyboard.type("Quick.")
    page.keyboard.press("Control+s")
    saved(page, "Saved from the keyboard")
    expect(page.get_by_label("Category", exact=True)).to_have_value(re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_label("Category", exact=True).locator("option:checked")).to_have_text(
        "Travel notes"
    )
    page.get_by_label("Body (Markdown)").click()
    page.keyboard.type(" Again.")
    page.keyboard.press("Meta+s")  # the Mac shortcut too
    saved(page, "Saved from the keyboard")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("Quick. Again.")
    assert console.unexpected() == []


def test_a_revision_is_restored_from_the_revisions_page(live_server, page, console):
    set_up_blog(page, live_server)
    page.get_by_label("Title").fill("A changing note")
    page.get_by_label("Body (Markdown)").fill("The first version.")
    page.get_by_role("button", name="Save").click()
    saved(page, "A changing note")
    page.get_by_label("Body (Markdown)").fill("The second version, <b>rewritten</b>.")
    page.get_by_role("button", name="Save").click()
    saved(page, "A changing note")

    page.get_by_role("link", name="Revisions", exact=True).click()
    rows = page.locator("table.revisions tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Compare").click()
    diff = page.locator("table.diff")
    expect(diff.locator("tr.diff-replace mark").first).to_be_visible()
    expect(diff).to_contain_text("<b>rewritten</b>")  # shown as text, not markup
    expect(diff.locator("b")).to_have_count(0)

    rows.last.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("alert")).to_contain_text("as a new revision")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("The first version.")
    page.get_by_role("link", name="Revisions", exact=True).click()
    expect(rows).to_have_count(3)
    assert console.unexpected() == []


PASTE = """([data, name, kind]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  const body = document.querySelector("textarea[name=body]");
  body.focus();
  body.setSelectionRange(body.value.length, body.value.length);
  const event = kind === "paste"
    ? new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true})
    : new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true});
  body.dispatchEvent(event);
  return event.defaultPrevented;
}"""


@pytest.mark.parametrize("kind", ["paste", "drop"])
def test_a_pasted_or_dropped_image_is_uploaded_with_the_alt_text_asked_for(
    live_server, page, console, kind
):
    set_up_blog(page, live_server)
    body = page.get_by_label("Body (Markdown)")
    body.fill("Look:")
    asked = []

    def describe(dialog):
        asked.append(dialog.message)
        dialog.accept("A red square")

    page.on("dialog", describe)
    assert page.evaluate(PASTE, [png_base64(), "image.png", kind]) is True
    expect(page.locator("#upload-status")).to_have_text("Inserted.")
    expect(body).to_have_value(PASTED_IMAGE)
    assert body.input_value().startswith("Look:")
    assert asked and "alt text" in asked[0]
    image = page.locator("#preview img")
    expect(image).to_have_attribute("alt", "A red square")
    expect(image).to_have_js_property("naturalWidth", 24)

    page.get_by_label("Title").fill("With a pasted picture")
    page.get_by_role("button", name="Save").click()
    saved(page, "With a pasted picture")
    admin_link(page, "Media").click()
    expect(page.locator("table.media-library tbody tr")).to_have_count(1)
    expect(page.locator("table.media-library")).to_contain_text("With a pasted picture")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("button.copy-markdown")  # its name changes to "Copied" for a moment
    expect(copy).to_have_text("Copy Markdown")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert re.fullmatch(
        r"!\[\]\(/uploads/[0-9a-f]{32}\.png\)", page.evaluate("navigator.clipboard.readText()")
    )
    assert console.unexpected() == []


def test_a_pasted_file_that_is_not_an_image_is_refused_like_the_file_picker(
    live_server, page, console
):
    set_up_blog(page, live_server)
    body = page.get_by_label("Body (Markdown)")
    body.fill("Text stays.")
    console.expect(r"status of 400 .*\(at http://127\.0\.0\.1:\d+/admin/uploads\)$")
    fake = base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
    page.evaluate(PASTE, [fake, "drawing.png", "paste"])
    expect(page.locator("#upload-status")).to_contain_text("not a supported image")
    expect(body).to_have_value("Text stays.")
    assert console.unexpected() == []


def test_the_preview_follows_the_cursor_in_a_long_document(live_server, page, console):
    set_up_blog(page, live_server)
    text = "\n\n".join(f"## Section {n}\n\nParagraph {n} of a long note." for n in range(150))
    body = page.get_by_label("Body (Markdown)")
    body.fill(text)
    preview = page.locator("#preview")
    expect(preview.locator("h2")).to_have_count(150)
    expect(preview.locator("h2").first).to_have_attribute("data-line", "0")

    line = text.split("\n").index("## Section 120")
    page.evaluate(
        """(line) => {
          const body = document.querySelector("textarea[name=body]");
          const at = body.value.split("\\n").slice(0, line).join("\\n").length + 1;
          body.focus();
          body.setSelectionRange(at, at);
          body.dispatchEvent(new KeyboardEvent("keyup", {bubbles: true}));
        }""",
        line,
    )
    heading = preview.locator("h2", has_text=re.compile(r"^Section 120\b"))
    expect(heading).to_be_in_viewport()
    assert preview.evaluate("(el) => el.scrollTop") > 1000
    assert console.unexpected() == []


def test_a_refused_socket_closes_cleanly_and_a_signed_out_editor_is_told(
    live_server, page, console
):
    set_up_blog(page, live_server)
    preview = page.locator("#preview")
    page.get_by_label("Body (Markdown)").fill("*over the socket*")
    expect(preview.locator("em")).to_have_text("over the socket")
    expect(page.locator(".editor")).to_have_attribute("data-preview-via", "socket")

    page.context.clear_cookies()  # signed out while the editor is open
    # a new socket is refused with its close code (1008), with nothing after the closing frame
    code = page.evaluate(
        """() => new Promise((resolve) => {
          const ws = new WebSocket(location.origin.replace("http", "ws") + "/live/preview");
          ws.onclose = (event) => resolve(event.code);
        })"""
    )
    assert code == 1008
    # the open socket still answers; once it is gone, the HTTP fallback says what happened
    page.evaluate("() => new Promise((r) => setTimeout(r, 200))")
    console.expect(r"status of 401 .*\(at http://127\.0\.0\.1:\d+/api/preview\)$")
    page.evaluate(
        """() => fetch("/api/preview", {method: "POST", credentials: "same-origin",
             headers: {"Content-Type": "application/json"}, body: "{}"})"""
    )
    assert not [e for e in console.errors if "Invalid frame header" in e or "status of 400" in e]
    assert console.unexpected() == []


def test_a_valid_editor_whose_socket_closes_previews_over_http(live_server, page, console):
    page.add_init_script(
        """const Native = window.WebSocket;
        window.openSockets = [];
        window.WebSocket = function (url) {
          const ws = new Native(url);
          openSockets.push(ws);
          return ws;
        };
        window.WebSocket.OPEN = Native.OPEN;"""
    )
    set_up_blog(page, live_server)
    body = page.get_by_label("Body (Markdown)")
    body.fill("*socket*")
    expect(page.locator("#preview em")).to_have_text("socket")
    page.evaluate("() => openSockets.forEach((ws) => ws.close())")
    body.fill("**http**")
    expect(page.locator("#preview strong")).to_have_text("http")
    expect(page.locator(".editor")).to_have_attribute("data-preview-via", "http")
    assert console.unexpected() == []
