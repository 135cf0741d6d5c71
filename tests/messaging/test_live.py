"""Direct messages and read receipts over ``ws/notifications/``, through the full ASGI application."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from peerlearn.asgi import application

from core.messaging import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(user)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_a_message_and_its_read_receipt_arrive_live(user_factory):
    mentor = await sync_to_async(user_factory)(is_mentor=True, display_name="Maya Mentor")
    learner = await sync_to_async(user_factory)(display_name="Lee Learner")
    stranger = await sync_to_async(user_factory)()
    mentor_socket, learner_socket, stranger_socket = [await connect(u) for u in (mentor, learner, stranger)]

    message = await sync_to_async(services.start)(learner, mentor, "Hi <b>Maya</b>")
    received = await mentor_socket.receive_json_from(timeout=3)
    assert received["type"] == "message"
    payload = received["payload"]
    assert payload["id"] == message.pk and payload["body"] == "Hi <b>Maya</b>"
    assert "&lt;b&gt;" in payload["body_html"] and payload["unread_count"] == 1
    echo = await learner_socket.receive_json_from(timeout=3)
    assert echo["payload"]["own"] is True, "the sender's other pages see it too"

    await sync_to_async(services.mark_read)(mentor, message.conversation)
    receipt = await learner_socket.receive_json_from(timeout=3)
    assert receipt == {
        "type": "message_read",
        "payload": {
            "conversation": message.conversation_id,
            "ids": [message.pk],
            "read_at": receipt["payload"]["read_at"],
        },
    }
    assert await mentor_socket.receive_json_from(timeout=3) == {"type": "message_unread", "count": 0}
    assert await stranger_socket.receive_nothing(timeout=0.3), "nobody else hears it"
    for socket in (mentor_socket, learner_socket, stranger_socket):
        await socket.disconnect()
