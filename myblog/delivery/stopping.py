"""SIGTERM and SIGINT ask a foreground sender to stop after the message in flight."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """While inside, SIGTERM and SIGINT set `stop` instead of ending the process at once (a
    second one still does: the handlers in place before are restored by the first). Outside the
    main thread, where Python cannot handle signals, this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    signals = (signal.SIGTERM, signal.SIGINT)
    saved = {sig: signal.getsignal(sig) for sig in signals}

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        for sig, handler in saved.items():
            signal.signal(sig, handler)

    for sig in signals:
        signal.signal(sig, ask_to_stop)
    try:
        yield stop
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
