"""A WebSocket finds its signed-in person as a page does (core.accounts.socket_person): kept between the
person's saves, and refused at once when the session no longer holds (a new password, a deactivated account)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from peerlearn.asgi import application

from core.analytics.services.events import flush
from core.pages.cache import stored_part

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture(autouse=True)
def _events_written():
    yield
    flush()  # the sign-ins' analytics events go into this test's database, not the next test's


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def opens(cookie: bytes) -> tuple[bool, int | None]:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, code = await communicator.connect()
    if connected:
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()
    return connected, code


async def test_a_socket_keeps_its_person_as_a_page_does(user_factory):
    user = await sync_to_async(user_factory)()
    cookie = await sync_to_async(session_cookie)(user)
    assert await opens(cookie) == (True, None)
    kept = await sync_to_async(stored_part)("session-person", [user.pk])
    assert kept["value"].user.pk == user.pk and "password" not in kept["value"].user.__dict__
    assert await opens(cookie) == (True, None), "the kept person opens the next socket"


async def test_a_new_password_refuses_the_next_socket(user_factory):
    user = await sync_to_async(user_factory)()
    cookie = await sync_to_async(session_cookie)(user)
    assert (await opens(cookie))[0]
    user.set_password("an entirely new passphrase")
    await sync_to_async(user.save)(update_fields=["password"])
    assert await opens(cookie) == (False, 4401)


async def test_a_deactivated_person_is_refused(user_factory):
    user = await sync_to_async(user_factory)()
    cookie = await sync_to_async(session_cookie)(user)
    assert (await opens(cookie))[0]
    user.is_active = False
    await sync_to_async(user.save)()
    assert await opens(cookie) == (False, 4401)


async def test_a_tampered_session_cookie_is_refused(user_factory):
    user = await sync_to_async(user_factory)()
    cookie = await sync_to_async(session_cookie)(user)
    assert await opens(cookie[:-4] + b"zzzz") == (False, 4401)
