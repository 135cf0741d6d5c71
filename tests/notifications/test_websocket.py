"""``ws/notifications/`` through the full ASGI application (origin check + session auth)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from peerlearn.asgi import application

from core.notifications.services import notify_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect(cookie: bytes | None = None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_is_refused():
    communicator, connected, code = await connect()
    assert not connected
    assert code == 4401


async def test_signed_in_user_receives_their_notifications(user_factory):
    user = await sync_to_async(user_factory)()
    other = await sync_to_async(user_factory)()
    cookie = await sync_to_async(session_cookie)(user)
    communicator, connected, _ = await connect(cookie)
    assert connected
    await sync_to_async(notify_user)(other.id, "booking.confirmed", {"booking": 1})
    await sync_to_async(notify_user)(user.id, "booking.confirmed", {"booking": 2})
    message = await communicator.receive_json_from(timeout=3)
    assert message == {"type": "notification", "kind": "booking.confirmed", "payload": {"booking": 2}}
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.send_json_to({"type": "shout"})
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}, "the socket keeps working"
    await communicator.disconnect()


async def test_foreign_origin_is_refused(user_factory):
    user = await sync_to_async(user_factory)()
    cookie = await sync_to_async(session_cookie)(user)
    communicator, connected, _ = await connect(cookie, origin=b"http://evil.example")
    assert not connected


BAD_FRAMES = [
    ("text", "{not json", "malformed"),
    ("text", "[1, 2]", "malformed"),
    ("text", '{"type": 7}', "invalid"),
    ("text", '{"type": "ping", "extra": 1}', "invalid"),
    ("text", "[" * 5000 + "]" * 5000, "malformed"),
    ("text", '{"type": "ping", "pad": "' + "x" * 70_000 + '"}', "too_large"),
    ("bytes", b"\x00\xff\x10binary", "binary_not_supported"),
]


@pytest.mark.parametrize(
    ("kind", "frame", "code"), BAD_FRAMES, ids=[f"{k}-{c}-{i}" for i, (k, _, c) in enumerate(BAD_FRAMES)]
)
async def test_a_bad_frame_gets_an_error_and_the_socket_keeps_working(user_factory, kind, frame, code):
    user = await sync_to_async(user_factory)()
    communicator, connected, _ = await connect(await sync_to_async(session_cookie)(user))
    assert connected
    if kind == "text":
        await communicator.send_to(text_data=frame)
    else:
        await communicator.send_to(bytes_data=frame)
    error = await communicator.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["code"] == code and error["message"], error
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}
    await sync_to_async(notify_user)(user.id, "booking.confirmed", {"booking": 3})
    assert (await communicator.receive_json_from(timeout=3))["type"] == "notification", "still subscribed"
    await communicator.disconnect()
