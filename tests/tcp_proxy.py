"""A TCP proxy in a thread, to make a server go away and come back without touching it.

`TcpProxy(("127.0.0.1", 5432))` listens on a free local port and forwards every connection
to the target. `cut()` closes the listening socket and every open connection (clients see a
refused connection, like a server that is down); `restore()` listens again on the same port.
`freeze()` keeps every connection open and accepts new ones but forwards nothing (a server
that hangs: the kernel acknowledges what is sent, no answer ever comes); `thaw()` ends it.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time


class TcpProxy:
    """Forward a local port to `target`; `cut()` simulates an outage, `restore()` ends it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._frozen = threading.Event()
        self.restore()

    # --- control ------------------------------------------------------------------------------

    def restore(self) -> None:
        """Listen (again, on the same port) and forward new connections."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._start(self._accept, listener)

    def cut(self) -> None:
        """Stop listening and close every forwarded connection: the server is "down"."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._join()

    def freeze(self) -> None:
        """Forward nothing more, in either direction, until `thaw()`."""
        self._frozen.set()

    def thaw(self) -> None:
        """Forward again what waited, and what comes."""
        self._frozen.clear()

    def close(self) -> None:
        """Stop for good (test teardown)."""
        self.thaw()
        self.cut()

    # --- forwarding ---------------------------------------------------------------------------

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _join(self) -> None:
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=5)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            self._start(self._pump, client, upstream)

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        with selectors.DefaultSelector() as selector:
            for sock in (a, b):
                sock.setblocking(True)
                selector.register(sock, selectors.EVENT_READ)
            while True:
                if self._frozen.is_set():
                    if not self._alive(a, b):
                        break
                    time.sleep(0.02)
                    continue
                try:
                    ready = selector.select(timeout=0.5)
                except (OSError, ValueError):
                    break
                if not self._alive(a, b):
                    break
                if not self._forward(ready, peer):
                    break
        with self._lock:
            self._sockets.difference_update((a, b))
        for sock in (a, b):
            sock.close()

    def _alive(self, a: socket.socket, b: socket.socket) -> bool:
        with self._lock:
            return a in self._sockets and b in self._sockets

    @staticmethod
    def _forward(ready, peer: dict[socket.socket, socket.socket]) -> bool:
        for key, _ in ready:
            source = key.fileobj
            try:
                data = source.recv(65536)
                if not data:
                    return False
                peer[source].sendall(data)
            except OSError:
                return False
        return True
