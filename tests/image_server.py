"""A local HTTP server standing in for the sites posts hot-link images from."""

from __future__ import annotations

import io
import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def png(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = self.routes.get(self.path, (404, {}, b"no"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def image_server() -> Iterator[str]:
    """Serve /red.png, /blue.png, a redirect to the cloud metadata address and a page that is
    not an image on 127.0.0.1; yield the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.routes = {
        "/red.png": (200, {"Content-Type": "image/png"}, png("red")),
        "/blue.png": (200, {"Content-Type": "image/png"}, png("blue")),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<html>"),
    }
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def loopback_only(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Lets the fetcher reach the local test server at 127.0.0.1, and nothing else private."""
    return address == ipaddress.ip_address("127.0.0.1")
