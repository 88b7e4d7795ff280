"""Mail delivery, process-level: SMTP, and the sender that drains the outbox.

Services only write outbox rows (myblog.services.outbox); this package sends them, with the
sender MYBLOG_MAIL_SENDER picks: an embedded thread, RQ workers, or none (`flask mail-worker`
or cron then delivers). Services never import it.
"""

from __future__ import annotations

from flask import Flask

from myblog.config import check_mail_sender
from myblog.delivery import rq_sender, thread_sender
from myblog.extensions import mail


def init_app(app: Flask) -> None:
    """Bind Flask-Mail and set up the configured sender: thread, rq or off."""
    mail.init_app(app)
    sender = app.config["MYBLOG_MAIL_SENDER"]
    check_mail_sender(sender, app.config.get("REDIS_URL"))
    if sender == "thread":
        thread_sender.init_app(app)
    elif sender == "rq":
        # no thread: commits that add outbox rows wake the RQ worker (`flask rq-worker`)
        rq_sender.init_app(app)
