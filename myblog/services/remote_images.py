"""Copying images a post hot-links into the blog's own uploads, without letting a post make the
server fetch what it should not.

A post (or an imported note) may point at images on other servers. Copying them keeps them when
those servers change or forbid hot-linking. Fetching a URL someone else wrote is how a
server gets tricked into reading its own network (SSRF), so every fetch:
- speaks http or https only, to a host whose every address is a public one (no loopback,
  private, link-local, shared, multicast or reserved address) — and connects to the address it
  checked, so a second DNS answer cannot swap it for another;
- follows at most MAX_REDIRECTS redirects, each checked the same way;
- gives up after TIMEOUT seconds without data, and past MAX_BYTES;
- keeps only what Pillow reads as an image (the uploads service re-encodes it like any upload).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from urllib.parse import urljoin, urlsplit

from myblog.models import User
from myblog.services.uploads import UploadError, save_upload

MAX_REDIRECTS = 3
MAX_BYTES = 8 * 1024 * 1024
TIMEOUT = 5.0
USER_AGENT = "myblog (copying an image a post links to)"

AddressCheck = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]


class FetchRefused(ValueError):
    """Why an image was not fetched; safe to show to the author."""


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet (not loopback, private, link-local, …)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int, allowed: AddressCheck) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"{host}: no such host") from exc
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    refused = sorted(str(a) for a in addresses if not allowed(a))
    if refused or not addresses:
        raise FetchRefused(f"{host} is not on the public internet ({', '.join(refused)})")
    return str(min(addresses, key=str))


class _PinnedHTTP(HTTPConnection):
    """An HTTP connection to an address checked beforehand, whatever the host name says now."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(HTTPSConnection):
    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _open(url: str, allowed: AddressCheck) -> tuple[HTTPResponse, HTTPConnection]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(f"{url}: only http and https images are copied")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(parts.hostname, port, allowed)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = kind(parts.hostname, port, address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
        return conn.getresponse(), conn
    except BaseException:
        conn.close()
        raise


def fetch_image(url: str, *, allowed: AddressCheck = is_public) -> bytes:
    """The bytes at `url`, by the rules above; FetchRefused says why not."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response, conn = _open(url, allowed)
        except FetchRefused:
            raise
        # OSError: no connection, a timeout; HTTPException: a broken answer; ValueError: a
        # port out of range and other malformed addresses
        except (OSError, HTTPException, ValueError) as exc:
            raise FetchRefused(f"{url}: {exc}") from exc
        try:
            if response.status in (301, 302, 303, 307, 308):
                url = urljoin(url, response.getheader("Location") or "")
                continue
            if response.status != 200:
                raise FetchRefused(f"{url}: the server answered {response.status}")
            return _read(response, url)
        finally:
            conn.close()
    raise FetchRefused(f"{url}: more than {MAX_REDIRECTS} redirects")


def _read(response: HTTPResponse, url: str) -> bytes:
    kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if kind and not kind.startswith("image/"):
        raise FetchRefused(f"{url}: not an image ({kind})")
    length = response.getheader("Content-Length") or "0"
    if length.isdigit() and int(length) > MAX_BYTES:  # a malformed one: the read is capped
        raise FetchRefused(f"{url}: larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        data = response.read(MAX_BYTES + 1)
    except (OSError, HTTPException) as exc:
        raise FetchRefused(f"{url}: {exc}") from exc
    if len(data) > MAX_BYTES:
        raise FetchRefused(f"{url}: larger than {MAX_BYTES // 1024 // 1024} MB")
    return data


# an image in Markdown: ![alt](url "title") with an absolute http(s) URL
_IMAGE = re.compile(r"(!\[[^\]\n]*\]\()\s*<?(https?://[^\s)>]+)>?(\s+\"[^\"\n]*\")?\s*\)")


@dataclass
class Copied:
    """What copying a body's remote images did."""

    body: str
    copied: dict[str, str] = field(default_factory=dict)  # remote URL → upload URL
    refused: dict[str, str] = field(default_factory=dict)  # remote URL → why not


def copy_remote_images(
    body: str,
    *,
    uploader: User,
    upload_url: Callable[[str], str],
    allowed: AddressCheck = is_public,
) -> Copied:
    """Fetch every remote image of a Markdown body into the uploads and point the body at the
    copies; images that cannot be fetched stay as they were and are listed with the reason."""
    result = Copied(body)
    for url in dict.fromkeys(match[2] for match in _IMAGE.finditer(body)):
        try:
            upload = save_upload(
                fetch_image(url, allowed=allowed), original_name=url, uploader=uploader
            )
        except (FetchRefused, UploadError) as exc:
            result.refused[url] = str(exc)
            continue
        result.copied[url] = upload_url(upload.filename)

    def swap(match: re.Match[str]) -> str:
        local = result.copied.get(match[2])
        return match[0] if local is None else f"{match[1]}{local}{match[3] or ''})"

    result.body = _IMAGE.sub(swap, body)
    return result
