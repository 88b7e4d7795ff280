"""The real send function: without MAIL_SERVER, mail is logged and counts as sent."""

from __future__ import annotations

from outbox_support import T0, queued, row

from myblog.delivery.smtp import send_email
from myblog.models import OutboxStatus
from myblog.services.outbox_delivery import run_once


def test_without_mail_server_mail_is_logged_and_counts_as_sent(app, caplog):
    assert app.config["MAIL_SERVER"] is None
    with app.app_context():
        (email_id,) = queued(1)
        message_id = row(email_id).message_id
        with caplog.at_level("INFO", logger=app.logger.name):
            report = run_once(send_email, now=T0)
        assert report.sent == [email_id]
        assert row(email_id).status == OutboxStatus.SENT
    assert message_id in caplog.text
    assert "reader0@example.com" in caplog.text
