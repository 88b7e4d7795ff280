"""Take the screenshots in docs/screenshots/: the post page (light, dark, phone) and the editor.

    uv run python tools/screenshots.py

A temporary SQLite blog with one long Chinese note (tests/fixtures/long-note.md) and two
shorter posts sharing its tags, served on a free port; Debian's Chromium through Playwright.
Chinese text needs a CJK font on the machine (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from myblog import create_app
from myblog.extensions import db
from myblog.models import PostStatus
from myblog.services.accounts import setup_blog
from myblog.services.posts import PostInput, save_post

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshots-password-1"


def build_blog(folder: Path) -> tuple[object, str]:
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/blog.db"})
    note = (ROOT / "tests" / "fixtures" / "long-note.md").read_text(encoding="utf-8")
    title = note.splitlines()[0].lstrip("# ").strip()
    with app.app_context():
        db.create_all()
        owner = setup_blog(
            title="我的笔记本", username="owner", email="owner@example.com", password=PASSWORD
        )
        for n, tags in ((1, ["Flask", "Python"]), (2, ["Flask", "部署"])):
            save_post(
                PostInput(
                    title=f"Flask 笔记（{n}）",
                    body=f"第 {n} 篇。\n\n## 小节\n\n正文。",
                    status=PostStatus.PUBLISHED,
                    tags=tags,
                ),
                author=owner,
            )
        post = save_post(
            PostInput(
                title=title, body=note, status=PostStatus.PUBLISHED, tags=["Flask", "Python"]
            ),
            author=owner,
        )
        slug, post_id = post.slug, post.id
        db.session.remove()
    return app, f"/post/{slug}|{post_id}"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app, paths = build_blog(Path(tmp))
        path, post_id = str(paths).split("|")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            shots = (
                ("post-light.png", {"width": 1400, "height": 1000}, "light"),
                ("post-dark.png", {"width": 1400, "height": 1000}, "dark"),
                ("post-phone.png", {"width": 390, "height": 844}, "light"),
            )
            for name, size, scheme in shots:
                context = browser.new_context(
                    viewport=size, color_scheme=scheme, locale="zh-CN", device_scale_factor=1
                )
                page = context.new_page()
                page.goto(base + path)
                page.screenshot(path=OUT / name)
                context.close()
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            page.goto(base + "/auth/login")
            page.locator("input[name=login]").fill("owner")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form:has(input[name=password]) [type=submit]").click()
            page.wait_for_url("**/admin/**")
            page.goto(f"{base}/admin/posts/{post_id}/edit")
            page.locator("#body").click()
            page.wait_for_timeout(1000)
            page.screenshot(path=OUT / "editor.png")
            browser.close()
        server.shutdown()
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
