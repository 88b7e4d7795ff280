"""The editor's preview over a real WebSocket: answers in order with the client's seq, refuses
strangers and other sites, says what is wrong with a bad message."""

from __future__ import annotations

import json

import pytest
from live_support import served
from simple_websocket import Client, ConnectionClosed
from support import login

from myblog.live.preview import POLICY_VIOLATION, answer
from myblog.services.posts import MAX_BODY


def session_cookie(app) -> str:
    client = app.test_client()
    login(client)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return f"{cookie.key}={cookie.value}"


def open_socket(base: str, **headers: str) -> Client:
    return Client(base.replace("http://", "ws://") + "/live/preview", headers=headers)


def test_the_preview_socket_renders_markdown_for_a_signed_in_writer(app):
    cookie = session_cookie(app)
    with served(app) as base:
        ws = open_socket(base, Cookie=cookie, Origin=base)
        try:
            for seq, text in enumerate(["# Title", "*one* and **two**", "<script>x</script>"], 1):
                ws.send(json.dumps({"type": "preview", "seq": seq, "markdown": text}))
                reply = json.loads(ws.receive(timeout=5))
                assert reply["type"] == "preview" and reply["seq"] == seq
                if seq == 1:
                    assert "<h1" in reply["html"] and "Title" in reply["html"]
                if seq == 3:
                    assert "<script>" not in reply["html"]  # the same sanitiser as saved posts
            ws.send("not json")
            assert json.loads(ws.receive(timeout=5))["code"] == 400
        finally:
            ws.close()


@pytest.mark.parametrize("who", ["anonymous", "other site"])
def test_the_preview_socket_refuses_strangers_and_other_sites(app, who):
    cookie = session_cookie(app)
    with served(app) as base:
        headers = (
            {"Origin": base}
            if who == "anonymous"
            else {"Origin": "http://evil.example", "Cookie": cookie}
        )
        with pytest.raises(ConnectionClosed) as closed:
            ws = open_socket(base, **headers)  # closed before any message is read
            ws.receive(timeout=5)
        assert closed.value.reason == POLICY_VIOLATION


def test_a_plain_request_to_the_socket_is_a_400(client):
    assert client.get("/live/preview").status_code == 400


def test_messages_the_socket_does_not_know_are_answered_with_an_error(app):
    with app.app_context():
        assert answer(json.dumps({"type": "save_draft", "seq": 4})) == {
            "type": "error",
            "seq": 4,
            "code": 400,
            "message": "Unknown message type 'save_draft'.",
        }
        assert answer("[1, 2]")["code"] == 400
        assert answer(json.dumps({"type": "preview", "seq": 5}))["code"] == 400
        too_long = answer(
            json.dumps({"type": "preview", "seq": 6, "markdown": "x" * (MAX_BODY + 1)})
        )
        assert (too_long["code"], too_long["seq"]) == (413, 6)
