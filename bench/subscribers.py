"""Many idle Server-Sent Events subscribers in one asyncio loop (its own thread), noting when
each event reaches each of them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict


class Subscribers:
    """N text/event-stream connections to one path; `arrivals[event_id]` lists, per event, the
    monotonic time it reached each subscriber."""

    def __init__(self, port: int, path: str, count: int) -> None:
        self.port, self.path, self.count = port, path, count
        self.arrivals: dict[int, list[float]] = defaultdict(list)
        self.ready = 0  # subscribers that got their first heartbeat
        self.failed = 0  # connections refused or closed early
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, timeout: float = 120.0) -> None:
        """Connect them all (a few at a time) and wait until each got its first heartbeat."""
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._open_all(), self.loop).result(timeout)
        deadline = time.monotonic() + timeout
        while self.ready + self.failed < self.count and time.monotonic() < deadline:
            time.sleep(0.05)

    async def _open_all(self) -> None:
        for _ in range(self.count):
            self._tasks.append(asyncio.ensure_future(self._follow()))
            await asyncio.sleep(0.002)  # ~500 new connections a second, as after a restart

    async def _follow(self) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            self._count_failure()
            return
        writer.write(f"GET {self.path} HTTP/1.0\r\nHost: bench\r\n\r\n".encode())
        await writer.drain()
        greeted = False
        event, event_id = b"", 0
        try:
            while line := await reader.readline():
                if line.startswith(b"id: "):
                    event_id = int(line[4:].strip() or 0)
                elif line.startswith(b"event: "):
                    event = line[7:].strip()
                elif line == b"\n":  # the end of a message: note when a real event came
                    greeted = self._arrived(event, event_id, greeted)
                    event, event_id = b"", 0
        except (OSError, ValueError):
            pass
        finally:
            writer.close()
        if not greeted:
            self._count_failure()

    def _arrived(self, event: bytes, event_id: int, greeted: bool) -> bool:
        now = time.monotonic()
        with self.lock:
            if event == b"ping" and not greeted:
                self.ready += 1
            elif event not in (b"", b"ping"):
                self.arrivals[event_id].append(now)
        return greeted or event == b"ping"

    def _count_failure(self) -> None:
        with self.lock:
            self.failed += 1

    def reached(self, event_id: int) -> int:
        with self.lock:
            return len(self.arrivals.get(event_id, ()))

    async def _cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cancel_all(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
