"""``ws/dashboard/``: only staff with the analytics permission may open it; tiles arrive live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from peerlearn.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect(cookie: bytes | None = None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


def editor(user_factory, *codenames):
    from django.contrib.auth.models import Permission

    user = user_factory(display_name="Editor")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="analytics", codename=codename))
    return user


async def test_anonymous_is_refused():
    communicator, connected, code = await connect()
    assert not connected and code == 4401


async def test_people_without_the_permission_are_refused(user_factory):
    learner = await sync_to_async(user_factory)()
    communicator, connected, code = await connect(await sync_to_async(session_cookie)(learner))
    assert not connected and code == 4403
    at_risk_only = await sync_to_async(editor)(user_factory, "view_learner_risk")
    communicator, connected, code = await connect(await sync_to_async(session_cookie)(at_risk_only))
    assert not connected and code == 4403


async def test_a_foreign_origin_is_refused(user_factory):
    admin = await sync_to_async(user_factory)(is_staff=True, is_superuser=True)
    communicator, connected, _ = await connect(
        await sync_to_async(session_cookie)(admin), origin=b"http://evil.example"
    )
    assert not connected


async def test_staff_get_tiles_now_and_when_a_booking_is_made(user_factory):
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    staff = await sync_to_async(editor)(user_factory, "view_dashboard")
    communicator, connected, _ = await connect(await sync_to_async(session_cookie)(staff))
    assert connected
    first = await communicator.receive_json_from(timeout=3)
    assert first["type"] == "tiles" and first["tiles"]["bookings_today"] == 0

    def make_booking():
        mentor = user_factory(is_mentor=True)
        start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
        session = create_session(mentor, title="Live tile", start=start, duration_minutes=60)
        return book_session(session, user_factory())

    await sync_to_async(make_booking)()
    pushed = await communicator.receive_json_from(timeout=3)
    while pushed["tiles"]["bookings_today"] == 0:  # a session change may push first
        pushed = await communicator.receive_json_from(timeout=3)
    assert pushed == {"type": "tiles", "tiles": pushed["tiles"]} and pushed["tiles"]["bookings_today"] == 1

    await communicator.send_json_to({"type": "refresh"})
    assert (await communicator.receive_json_from())["tiles"]["bookings_today"] == 1
    await communicator.send_json_to({"type": "anything else"})
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.disconnect()


BAD_FRAMES = [
    ("text", "{not json", "malformed"),
    ("text", '"refresh"', "malformed"),
    ("text", '{"type": "refresh", "tiles": []}', "invalid"),
    ("text", "{" * 3000 + "}" * 3000, "malformed"),
    ("bytes", b"\x89PNG\r\n", "binary_not_supported"),
]


@pytest.mark.parametrize(
    ("kind", "frame", "code"), BAD_FRAMES, ids=[f"{k}-{c}-{i}" for i, (k, _, c) in enumerate(BAD_FRAMES)]
)
async def test_a_bad_frame_gets_an_error_and_the_socket_keeps_working(user_factory, kind, frame, code):
    staff = await sync_to_async(editor)(user_factory, "view_dashboard")
    communicator, connected, _ = await connect(await sync_to_async(session_cookie)(staff))
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["type"] == "tiles"
    if kind == "text":
        await communicator.send_to(text_data=frame)
    else:
        await communicator.send_to(bytes_data=frame)
    error = await communicator.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["code"] == code and error["message"], error
    await communicator.send_json_to({"type": "refresh"})
    assert (await communicator.receive_json_from(timeout=3))["type"] == "tiles", "the socket keeps working"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}
    await communicator.disconnect()


async def test_an_open_dashboard_keeps_the_pushes_coming_by_speaking(user_factory):
    """Connecting marks the tiles as watched; each message (the page pings every 30 s) marks them again."""
    from django.core.cache import cache

    from core.analytics.services import live

    await sync_to_async(cache.delete)(live.WATCHED_KEY)
    staff = await sync_to_async(editor)(user_factory, "view_dashboard")
    communicator, connected, _ = await connect(await sync_to_async(session_cookie)(staff))
    assert connected
    await communicator.receive_json_from(timeout=3)
    assert await sync_to_async(cache.get)(live.WATCHED_KEY)
    await sync_to_async(cache.delete)(live.WATCHED_KEY)  # as if WATCH_SECONDS had passed
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"
    assert await sync_to_async(cache.get)(live.WATCHED_KEY)
    await communicator.disconnect()
