"""Browser fixtures: the app served on a loopback port, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support import need_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Playwright's default of 30 s hides hangs; every step here is local and quick, but the suite
# runs beside the fault tests, which restart PostgreSQL and kill processes: an upload or an
# autosave has been seen to take over 5 s then.
TIMEOUT_MS = 15_000

# Chromium reports CSP violations on the console too, but a listener installed before any page
# script runs makes each one an explicit console error whatever the browser version logs.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


@pytest.fixture
def live_server_settings() -> dict[str, Any]:
    """Settings of the served app beyond the defaults; a test parametrizes it to change them."""
    return {}


@pytest.fixture
def live_server(tmp_path: Path, live_server_settings: dict[str, Any]) -> Iterator[str]:
    """Serve a fresh, not yet set up blog on 127.0.0.1 and yield its base URL."""
    from werkzeug.serving import make_server

    from myblog import create_app
    from myblog.extensions import db

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.sqlite'}",
            "MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
            "MYBLOG_LOGIN_LIMIT": "1000 per minute",
            **live_server_settings,
        },
    )
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        from myblog.live.hub import close_hub

        close_hub(app)  # the pages' live streams end, and the hub's thread with them
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session (skipped, or failed in CI, if missing)."""
    if not CHROMIUM.exists():
        need_service("Chromium", False, f"{CHROMIUM} is not installed")
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Error as exc:
        playwright.stop()
        need_service("Chromium", False, f"Playwright cannot launch {CHROMIUM}: {exc}")
        raise  # need_service has already skipped or failed
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of one page; tests assert it stays clean."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            url = message.location.get("url", "")
            self.errors.append(f"{message.text} (at {url})")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"uncaught: {error}")

    def expect(self, pattern: str) -> None:
        """Tolerate errors matching `pattern` that the test provokes on purpose."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Any, console: ConsoleLog) -> Iterator[Any]:
    """A page in a fresh browser context (own cookies), reporting errors to `console`."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    try:
        yield page
    finally:
        context.close()
