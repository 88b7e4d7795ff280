"""gunicorn's settings for myblog: `gunicorn -c gunicorn.conf.py myblog.wsgi:app`.

gevent workers: every live stream (Server-Sent Events, a long poll, the editor's WebSocket) is
an idle connection for minutes, and a gevent worker holds thousands of them as greenlets while
it keeps serving pages; a gthread worker needs one thread per open stream, so its page requests
queue behind its streams once they fill the pool. Figures and limits: docs/live.md.

- gunicorn's gevent worker monkey-patches the standard library before it imports the app, so
  never combine it with `preload_app` (the app's modules would be imported unpatched).
- psycopg 3 (3.1.14 and later) waits through gevent by itself; SQLAlchemy's pool uses the
  patched locks; SQLite calls are short C calls that do not yield, so a write transaction must
  not wait on the network while it is open (myblog's commit hooks run after the commit).
- One worker per process and node without REDIS_URL (the rate limits and the live bus live in
  the process then); with REDIS_URL, WEB_CONCURRENCY workers, e.g. one per core.

Anything here can be overridden on the command line, which wins over this file:
`gunicorn -c gunicorn.conf.py -k gthread --threads 64 myblog.wsgi:app`.
"""

import os
import threading

# gunicorn binds 127.0.0.1:8000, or 0.0.0.0:$PORT when PORT is set; --bind to change it
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
# idle streams and keep-alive connections per worker; raise `ulimit -n` to match
worker_connections = int(os.environ.get("MYBLOG_WORKER_CONNECTIONS", "4000"))
# the live streams close themselves when a worker stops (post_worker_init below), so a restart
# does not wait for this whole delay
graceful_timeout = 20
keepalive = 5
# a reverse proxy in front should not buffer /live/ (the streams send X-Accel-Buffering: no)
# and must pass WebSocket upgrades on /live/preview: docs/live.md shows an nginx block


def post_worker_init(worker):
    """End this worker's live streams as soon as it is told to stop (SIGTERM, a reload), so
    browsers reconnect to another worker at once instead of after the graceful timeout."""

    def watch():
        while worker.alive:
            threading.Event().wait(0.5)
        from myblog.live.hub import close_hub

        close_hub(worker.wsgi)

    threading.Thread(target=watch, name="myblog-live-shutdown", daemon=True).start()
