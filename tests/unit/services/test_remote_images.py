"""Copying hot-linked images: a local server stands in for the remote one; addresses the fetcher
must refuse are refused, whatever the URL, redirect or DNS answer says."""

from __future__ import annotations

import io
import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Role, Upload, User
from myblog.services import remote_images
from myblog.services.remote_images import FetchRefused, copy_remote_images, fetch_image, is_public


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    return buffer.getvalue()


class _Remote(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = self.routes.get(self.path, (404, {}, b"no"))
        if status == 0:  # hang: send nothing until the client gives up
            threading.Event().wait(3)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Remote)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Remote.routes = {
        "/red.png": (200, {"Content-Type": "image/png"}, _png()),
        "/moved": (302, {"Location": "/red.png"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<html>"),
        "/huge.png": (200, {"Content-Type": "image/png", "Content-Length": str(10**9)}, b""),
        "/hang.png": (0, {}, b""),
        "/fake.png": (200, {"Content-Type": "image/png"}, b"not an image at all"),
    }
    yield base
    server.shutdown()
    server.server_close()


def loopback_only(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Allows the local test server, and nothing else private."""
    return address == ipaddress.ip_address("127.0.0.1")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "::",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    ],
)  # fmt: skip
def test_addresses_off_the_public_internet_are_refused(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://localhost/x.png",
        "http://[::1]/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/x.png",
        "http://2130706433/x.png",  # 127.0.0.1 written as a number
        "file:///etc/passwd",
        "ftp://example.com/x.png",
        "gopher://127.0.0.1/",
    ],
)
def test_urls_reaching_the_servers_own_network_are_refused(url):
    with pytest.raises(FetchRefused):
        fetch_image(url)


def test_the_local_server_itself_is_refused_by_default(remote):
    with pytest.raises(FetchRefused, match="not on the public internet"):
        fetch_image(f"{remote}/red.png")


def test_an_image_is_fetched_and_a_redirect_followed(remote):
    assert fetch_image(f"{remote}/red.png", allowed=loopback_only) == _png()
    assert fetch_image(f"{remote}/moved", allowed=loopback_only) == _png()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/to-metadata", "not on the public internet"),  # a redirect is checked like the URL
        ("/loop", "redirects"),
        ("/page.html", "not an image"),
        ("/huge.png", "larger than"),
        ("/missing.png", "answered 404"),
    ],
)
def test_what_is_not_a_reachable_public_image_is_refused(remote, path, reason):
    with pytest.raises(FetchRefused, match=reason):
        fetch_image(f"{remote}{path}", allowed=loopback_only)


def test_a_server_that_never_answers_is_given_up_on(remote, monkeypatch):
    monkeypatch.setattr(remote_images, "TIMEOUT", 0.3)
    with pytest.raises(FetchRefused):
        fetch_image(f"{remote}/hang.png", allowed=loopback_only)


def test_copying_points_the_body_at_the_copies_and_keeps_what_it_cannot_copy(ctx, remote):
    owner = db.session.scalars(select(User).where(User.role == Role.OWNER)).one()
    body = (
        f'![red]({remote}/red.png) twice ![again]({remote}/red.png "title")\n'
        f"![fake]({remote}/fake.png) ![local](/uploads/kept.png) [link]({remote}/red.png)"
    )
    result = copy_remote_images(
        body, uploader=owner, upload_url=lambda name: f"/uploads/{name}", allowed=loopback_only
    )
    (copy,) = result.copied.values()
    assert result.body.startswith(f'![red]({copy}) twice ![again]({copy} "title")')
    assert f"![fake]({remote}/fake.png)" in result.body  # not an image: left as written
    assert (
        "![local](/uploads/kept.png)" in result.body and f"[link]({remote}/red.png)" in result.body
    )
    assert list(result.refused) == [f"{remote}/fake.png"]
    assert db.session.scalar(select(func.count(Upload.id))) == 1  # fetched once, stored once


@pytest.mark.parametrize(
    "url", ["http://example.com:99999/x.png", "http://[::1/x.png", "http://exa mple.com/x.png"]
)
def test_malformed_addresses_are_refused_not_raised(url):
    with pytest.raises(FetchRefused):
        fetch_image(url)


def test_a_broken_answer_is_refused(monkeypatch):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer_garbage() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        conn.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(FetchRefused):
            fetch_image(f"http://127.0.0.1:{port}/x.png", allowed=loopback_only)
    finally:
        listener.close()
