"""Live blueprint: server push. Server-Sent Events and long polling for readers' pages and
writers' notifications (views, streams), the editor's preview over a WebSocket (preview), and
the process-level plumbing they share: the event bus (bus) and this process's hub (hub).

Importing the package registers every view module's routes on `bp`.
"""

from flask import Flask

from myblog.live import preview, views  # noqa: F401
from myblog.live.blueprint import bp
from myblog.live.bus import EXTENSION_KEY, install_session_hooks, make_bus
from myblog.services.posts import MAX_BODY

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Pick the app's bus (Redis pub/sub with REDIS_URL, else in-process), make commits that
    recorded events publish on it, and set the WebSocket server's options."""
    app.extensions[EXTENSION_KEY] = make_bus(app)
    install_session_hooks()
    # keep-alive pings for proxies; a preview message is at most a post's Markdown (UTF-8)
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS", {"ping_interval": 25, "max_message_size": 4 * MAX_BODY + 1024}
    )
