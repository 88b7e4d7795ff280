"""The owner sees the mail outbox and can put failed messages back in the queue."""

from datetime import timedelta

from support import csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services import outbox, outbox_admin


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


def test_retry_all_puts_every_failed_message_back(app, client):
    make_messages(app)
    with app.app_context():
        another = outbox.enqueue(to="d@example.com", subject="Failed too", text_body="w")
        db.session.commit()
        another.status = OutboxStatus.FAILED
        db.session.commit()
    login(client)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Retry all 2 failed" in page
    response = post_form(client, "/admin/outbox/retry-failed", {}, token_from="/admin/outbox")
    assert response.status_code == 302
    with app.app_context():
        counts = outbox_admin.status_counts()
    assert (counts[OutboxStatus.FAILED], counts[OutboxStatus.PENDING]) == (0, 3)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "2 failed messages are queued again." in page and "Retry all" not in page


def test_retry_all_needs_a_post_with_csrf_from_an_admin(app, client, factory):
    make_messages(app)
    login(client)
    assert client.get("/admin/outbox/retry-failed").status_code == 405
    assert client.post("/admin/outbox/retry-failed").status_code == 400
    factory.user("dora", password="dora-password")
    author = app.test_client()
    login(author, "dora", "dora-password")
    token = csrf_from(author, "/admin/")
    response = author.post("/admin/outbox/retry-failed", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert outbox_admin.status_counts()[OutboxStatus.FAILED] == 1


def failing_relay(app, *, minutes: int) -> None:
    """A message queued `minutes` ago that the relay has refused ever since."""
    with app.app_context():
        email = outbox.enqueue(
            to="e@example.com",
            subject="Stuck",
            text_body="v",
            now=utcnow() - timedelta(minutes=minutes),
        )
        email.attempts = 3
        email.last_error = "SMTPServerDisconnected: Connection unexpectedly closed"
        db.session.commit()


def test_the_dashboard_warns_admins_when_mail_has_not_gone_out_for_a_while(app, client, factory):
    login(client)
    assert "Mail is not going out" not in client.get("/admin/").get_data(as_text=True)
    failing_relay(app, minutes=5)
    assert "Mail is not going out" not in client.get("/admin/").get_data(as_text=True)

    failing_relay(app, minutes=40)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Mail is not going out" in page
    assert "2 waiting for another try" in page
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert 'href="/admin/outbox?status=all"' in page

    factory.user("dora", password="dora-password")
    author = app.test_client()
    login(author, "dora", "dora-password")
    assert "Mail is not going out" not in author.get("/admin/").get_data(as_text=True)
