"""The fault bench's visitors: readers, commenters and an owner publishing, each a thread that
records every request it makes (when, what, the answer, and the key of a write it got
accepted) so that the run can be judged afterwards."""

from __future__ import annotations

import html
import http.client
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

OWNER = ("owner", "bench-owner-password")
COMMENT_WAIT = 3.3  # the comment form refuses a guest's submission in under 3 s


@dataclass(frozen=True)
class Outcome:
    at: float  # seconds since the start of the run
    kind: str  # "read", "comment", "publish", "login"
    status: int | None  # None: the connection failed (reset, refused, timed out)
    seconds: float
    key: str | None = None  # the unique text of a write the server accepted


@dataclass
class Record:
    """Every outcome of the run, from every visitor thread."""

    started: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int | None, began: float, key: str | None = None) -> None:
        now = time.monotonic()
        outcome = Outcome(began - self.started, kind, status, now - began, key)
        with self.lock:
            self.outcomes.append(outcome)

    def now(self) -> float:
        return time.monotonic() - self.started


class Client:
    """A browser-like client over plain HTTP: keeps cookies (the production config marks them
    Secure; the bench has no TLS in front), and sends each request to the next node in turn,
    as a round-robin load balancer would."""

    def __init__(self, ports: Sequence[int], timeout: float = 10) -> None:
        self.ports = list(ports)
        self.turn = random.randrange(len(self.ports))
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        self.turn += 1
        port = self.ports[self.turn % len(self.ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep(header)
        return response.status, text

    def _keep(self, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


def input_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return html.unescape(value.group(1)) if value else ""


def _timed(record: Record, kind: str, call: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    began = time.monotonic()
    try:
        status, text = call()
    except OSError:
        record.add(kind, None, began)
        return 0, ""
    record.add(kind, status, began)
    return status, text


def reader(
    ports: Sequence[int], slugs: Sequence[str], stop: threading.Event, record: Record
) -> None:
    """Reads the home page and posts, one request after the other."""
    client = Client(ports)
    while not stop.is_set():
        path = "/" if random.random() < 0.4 else f"/post/{quote(random.choice(slugs))}"
        _timed(record, "read", lambda path=path: client.send("GET", path))


def commenter(
    ports: Sequence[int], slugs: Sequence[str], stop: threading.Event, record: Record
) -> None:
    """Opens a post, takes as long as a person to write, and sends a comment."""
    client = Client(ports)
    while not stop.is_set():
        slug = quote(random.choice(slugs))
        status, page = _timed(record, "read", lambda s=slug: client.send("GET", f"/post/{s}"))
        token_status, token = _timed(record, "read", lambda: client.send("GET", "/api/csrf-token"))
        if status != 200 or token_status != 200:
            stop.wait(1)
            continue
        if stop.wait(COMMENT_WAIT):
            break  # the run ended while this visitor was still "writing"
        key = f"fault-bench comment {uuid.uuid4().hex}"
        form = {
            "csrf_token": json.loads(token)["csrf_token"],
            "started": input_value(page, "started"),
            "name": "Bench reader",
            "email": "reader@example.com",
            "body": key,
        }
        began = time.monotonic()
        try:
            answer, _ = client.send("POST", f"/post/{slug}/comments", form)
        except OSError:
            record.add("comment", None, began)
            continue
        record.add("comment", answer, began, key if answer == 302 else None)


def _log_in(client: Client, record: Record, stop: threading.Event) -> bool:
    while not stop.is_set():
        status, page = _timed(record, "login", lambda: client.send("GET", "/auth/login"))
        if status == 200:
            token = input_value(page, "csrf_token")
            form = {"csrf_token": token, "login": OWNER[0], "password": OWNER[1]}
            answer, _ = _timed(
                record, "login", lambda f=form: client.send("POST", "/auth/login", f)
            )
            if answer == 302:
                return True
        stop.wait(1)
    return False


def publisher(ports: Sequence[int], every: float, stop: threading.Event, record: Record) -> None:
    """The owner, publishing a post now and then; each one is mailed to every subscriber."""
    client = Client(ports)
    while not stop.is_set() and _log_in(client, record, stop):
        while not stop.is_set():
            status, page = _timed(record, "read", lambda: client.send("GET", "/admin/posts/new"))
            if status in (302, 401):
                break  # signed out (a session that no longer works): sign in again
            if status == 200:
                _publish(client, input_value(page, "csrf_token"), record)
            stop.wait(every)


def _publish(client: Client, token: str, record: Record) -> None:
    # a Chinese title, as the blog's writers use: its slug is made with pypinyin
    key = f"故障演练 银行笔记 {uuid.uuid4().hex}"
    form = {
        "csrf_token": token,
        "title": key,
        "slug": "",
        "body": f"Published by the fault bench: {key}.",
        "category_id": "0",
        "tags": "bench",
        "status": "published",
        "published_at": "",
        "allow_comments": "y",
    }
    began = time.monotonic()
    try:
        answer, _ = client.send("POST", "/admin/posts/new", form)
    except OSError:
        record.add("publish", None, began)
        return
    record.add("publish", answer, began, key if answer == 302 else None)
