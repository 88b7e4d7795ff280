"""gunicorn.conf.py: gevent workers, and a worker told to stop ends its live streams at once."""

from __future__ import annotations

import runpy
import threading
from pathlib import Path
from types import SimpleNamespace

from docrefs import ROOT

from myblog.live.hub import get_hub, wait_until_ready


def settings() -> dict:
    return runpy.run_path(str(Path(ROOT) / "gunicorn.conf.py"))


def test_the_shipped_settings_use_gevent_workers_without_preloading():
    conf = settings()
    assert conf["worker_class"] == "gevent"
    assert conf["worker_connections"] >= 1000
    assert not conf.get("preload_app")  # gevent must patch before the app is imported


def test_a_stopping_worker_releases_its_streams(app):
    hub = get_hub(app)
    assert wait_until_ready(hub, 5)
    released = threading.Event()
    waiting = threading.Thread(target=lambda: (hub.wait(hub.latest or 0, 60), released.set()))
    waiting.start()
    worker = SimpleNamespace(alive=True, wsgi=app)
    settings()["post_worker_init"](worker)
    assert not released.wait(0.7)  # still serving
    worker.alive = False  # what gunicorn's SIGTERM handler does
    assert released.wait(5)
    waiting.join()
    assert hub.closing
