"""The owner sees the mail outbox and can put failed messages back in the queue."""

from datetime import timedelta

from support import csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services import outbox


def make_messages(app):
    with app.app_context():
        sent = outbox.enqueue(to="a@example.com", subject="Sent one", text_body="x")
        failed = outbox.enqueue(to="b@example.com", subject="Failed one", text_body="y")
        outbox.enqueue(to="c@example.com", subject="Waiting one", text_body="z")
        db.session.commit()
        sent.status, sent.sent_at = OutboxStatus.SENT, utcnow()
        failed.status, failed.attempts, failed.last_error = (
            OutboxStatus.FAILED,
            8,
            "550 no such user",
        )
        db.session.commit()
        return failed.id


def test_outbox_lists_messages_with_status_and_error(app, client):
    make_messages(app)
    login(client)
    html = client.get("/admin/outbox").get_data(as_text=True)
    for text in ("Sent one", "Failed one", "Waiting one", "550 no such user", "Failed (1)"):
        assert text in html
    failed_only = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "Failed one" in failed_only and "Sent one" not in failed_only
    assert client.get("/admin/outbox?status=bogus").status_code == 404


def test_retry_puts_a_failed_message_back_in_the_queue(app, client):
    failed_id = make_messages(app)
    login(client)
    response = post_form(client, f"/admin/outbox/{failed_id}/retry", {}, token_from="/admin/outbox")
    assert response.status_code == 302
    with app.app_context():
        message = db.session.get(OutboxEmail, failed_id)
        assert message.status is OutboxStatus.PENDING
        assert message.attempts == 0
        assert message.next_attempt_at <= utcnow() + timedelta(seconds=1)
    assert "queued again" in client.get("/admin/outbox?status=failed").get_data(as_text=True)


def test_retry_needs_csrf_and_a_failed_message(app, client):
    failed_id = make_messages(app)
    login(client)
    assert client.post(f"/admin/outbox/{failed_id}/retry").status_code == 400
    token = csrf_from(client, "/admin/outbox")
    response = client.post(f"/admin/outbox/{failed_id - 1}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Only failed messages" in client.get("/admin/outbox").get_data(as_text=True)


def test_authors_cannot_see_the_outbox(client, factory):
    factory.user("dora", password="dora-password")
    login(client, "dora", "dora-password")
    assert client.get("/admin/outbox").status_code == 403
