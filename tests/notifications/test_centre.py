"""The notification centre: stored, pushed live to the right user only, listed, marked read."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from core.notifications import services
from core.notifications.models import Notification

from .test_websocket import connect, session_cookie


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_notify_stores_and_pushes_to_that_user_only(user_factory):
    alice = await sync_to_async(user_factory)()
    bob = await sync_to_async(user_factory)()
    alice_socket, ok_a, _ = await connect(await sync_to_async(session_cookie)(alice))
    alice_second_tab, ok_a2, _ = await connect(await sync_to_async(session_cookie)(alice))
    bob_socket, ok_b, _ = await connect(await sync_to_async(session_cookie)(bob))
    assert ok_a and ok_a2 and ok_b

    note = await sync_to_async(services.notify)(alice, "booking.confirmed", "Booked", "Tuesday 10:00", "/dashboard/")

    for socket in (alice_socket, alice_second_tab):
        message = await socket.receive_json_from(timeout=3)
        assert message["type"] == "notification"
        assert message["kind"] == "booking.confirmed"
        payload = message["payload"]
        assert payload["id"] == note.id
        assert payload["title"] == "Booked"
        assert payload["body"] == "Tuesday 10:00"
        assert payload["url"] == "/dashboard/"
        assert payload["unread_count"] == 1
        assert payload["read_at"] is None
    assert await bob_socket.receive_nothing(timeout=0.3), "Bob must not see Alice's notification"
    assert await sync_to_async(Notification.objects.filter(user=alice).count)() == 1

    # Reading it elsewhere updates the badge of every open page.
    await sync_to_async(services.mark_read)(alice, note.id)
    assert await alice_socket.receive_json_from(timeout=3) == {"type": "unread", "count": 0}
    assert await alice_second_tab.receive_json_from(timeout=3) == {"type": "unread", "count": 0}
    assert await bob_socket.receive_nothing(timeout=0.2)
    for socket in (alice_socket, alice_second_tab, bob_socket):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_push_waits_for_commit_and_a_rollback_pushes_nothing(user_factory):
    alice = await sync_to_async(user_factory)()
    socket, ok, _ = await connect(await sync_to_async(session_cookie)(alice))
    assert ok

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify(alice, "booking.confirmed", "Never happened")
            raise RuntimeError("booking failed")

    await sync_to_async(rolled_back)()
    assert await socket.receive_nothing(timeout=0.3)
    assert await sync_to_async(Notification.objects.count)() == 0

    def committed():
        with transaction.atomic():
            services.notify(alice, "booking.confirmed", "First")
            services.notify(alice, "booking.confirmed", "Second")

    await sync_to_async(committed)()
    first = await socket.receive_json_from(timeout=3)
    second = await socket.receive_json_from(timeout=3)
    assert [first["payload"]["title"], second["payload"]["title"]] == ["First", "Second"]
    assert second["payload"]["unread_count"] == 2
    await socket.disconnect()


def test_notify_without_a_channel_layer_still_stores(user_factory, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    user = user_factory()
    note = services.notify(user.id, "x.y", "t" * 500, "b" * 5000, "/u/")
    note.refresh_from_db()
    assert len(note.title) == services.TITLE_MAX and note.title.endswith("…")
    assert len(note.body) == services.BODY_MAX


# --- API -------------------------------------------------------------------------
@pytest.fixture
def two_users_with_notes(user_factory):
    alice, bob = user_factory(), user_factory()
    notes = [services.notify(alice, "booking.confirmed", f"Note {i}", url="/dashboard/") for i in range(3)]
    bob_note = services.notify(bob, "booking.confirmed", "Bob's")
    return alice, bob, notes, bob_note


def test_api_lists_only_my_notifications_newest_first(api_client, two_users_with_notes):
    alice, _, notes, bob_note = two_users_with_notes
    api_client.force_authenticate(alice)
    response = api_client.get("/api/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["unread_count"] == 3
    assert [item["id"] for item in body["results"]] == [n.id for n in reversed(notes)]
    assert bob_note.id not in [item["id"] for item in body["results"]]
    assert set(body["results"][0]) == {"id", "kind", "title", "body", "url", "created", "read_at"}

    page = api_client.get("/api/notifications/?limit=2&offset=2").json()
    assert [item["id"] for item in page["results"]] == [notes[0].id]


def test_api_mark_read_and_unread_filter(api_client, two_users_with_notes):
    alice, _, notes, _ = two_users_with_notes
    api_client.force_authenticate(alice)
    response = api_client.post(f"/api/notifications/{notes[0].id}/read/")
    assert response.status_code == 200
    assert response.json()["id"] == notes[0].id
    assert response.json()["read_at"]
    assert response.json()["unread_count"] == 2
    again = api_client.post(f"/api/notifications/{notes[0].id}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == response.json()["read_at"], "idempotent"
    unread = api_client.get("/api/notifications/?unread=true").json()
    assert {item["id"] for item in unread["results"]} == {notes[1].id, notes[2].id}
    bad = api_client.get("/api/notifications/?unread=perhaps")
    assert bad.status_code == 400
    assert "unread" in bad.json()["errors"]


def test_api_cannot_read_someone_elses_notification(api_client, two_users_with_notes):
    alice, bob, _, bob_note = two_users_with_notes
    api_client.force_authenticate(alice)
    response = api_client.post(f"/api/notifications/{bob_note.id}/read/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    bob_note.refresh_from_db()
    assert bob_note.read_at is None
    assert api_client.post("/api/notifications/999999/read/").status_code == 404


def test_api_read_all_touches_only_mine(api_client, two_users_with_notes):
    alice, bob, _, bob_note = two_users_with_notes
    api_client.force_authenticate(alice)
    response = api_client.post("/api/notifications/read-all/")
    assert response.status_code == 200
    assert response.json() == {"marked": 3, "unread_count": 0}
    assert api_client.post("/api/notifications/read-all/").json() == {"marked": 0, "unread_count": 0}
    bob_note.refresh_from_db()
    assert bob_note.read_at is None


@pytest.mark.django_db
def test_api_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/notifications/").status_code == 401
    assert api_client.post("/api/notifications/read-all/").status_code == 401
    assert api_client.post("/api/notifications/1/read/").status_code == 401


@pytest.mark.django_db
def test_api_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    assert "/api/notifications/" in schema["paths"]
    assert "post" in schema["paths"]["/api/notifications/{id}/read/"]
    assert "post" in schema["paths"]["/api/notifications/read-all/"]


# --- pages -----------------------------------------------------------------------
def test_list_page_marks_read_and_all_read(two_users_with_notes):
    alice, _, notes, bob_note = two_users_with_notes
    client = Client()
    client.force_login(alice)
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Note 0" in html and "Note 2" in html and "Bob&#x27;s" not in html
    assert "3 unread" in html

    response = client.post(f"/notifications/{notes[1].id}/read/", {"next": "/notifications/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?show=unread"
    unread_page = client.get("/notifications/?show=unread").content.decode()
    assert "Note 1" not in unread_page and "Note 0" in unread_page

    assert client.post(f"/notifications/{bob_note.id}/read/").status_code == 404
    response = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/", "no open redirect"
    assert Notification.objects.filter(user=alice, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=bob_note.pk).read_at is None
    assert client.get("/notifications/read-all/").status_code == 405


def test_open_follows_the_link_and_marks_read(user_factory):
    user = user_factory()
    local = services.notify(user, "k", "Local", url="/dashboard/")
    foreign = services.notify(user, "k", "Foreign", url="https://evil.example/phish")
    client = Client()
    client.force_login(user)
    assert client.get(f"/notifications/{local.id}/open/")["Location"] == "/dashboard/"
    assert client.get(f"/notifications/{foreign.id}/open/")["Location"] == reverse("notifications:list")
    assert services.unread_count(user) == 0


@pytest.mark.django_db
def test_pages_need_login():
    client = Client()
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bell_tag_shows_the_unread_count(user_factory):
    user = user_factory()
    template = Template("{% load notifications %}{% notification_bell %}")
    request = RequestFactory().get("/")
    request.user = user
    html = template.render(Context({"user": user, "request": request}))
    assert "data-notification-count" in html and " hidden" in html.split("data-notification-count")[1][:400]
    assert "notifications.js" in html and 'data-notifications-socket="/ws/notifications/"' in html
    for i in range(120):
        services.notify(user, "k", f"n{i}")
    request = RequestFactory().get("/")  # the next page (a page counts once: the bell and the panel share it)
    request.user = user
    html = template.render(Context({"user": user, "request": request}))
    assert ">99+</span>" in html

    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert template.render(Context({"user": request.user, "request": request})).strip() == ""


def test_one_live_client_per_page(user_factory):
    user = user_factory()
    request = RequestFactory().get("/")
    request.user = user
    html = Template("{% load notifications %}{% notification_bell %}{% notification_live %}").render(
        Context({"user": user, "request": request})
    )
    assert html.count("notifications.js") == 1 and html.count("data-notification-toasts") == 1
    request = RequestFactory().get("/")
    request.user = user
    html = Template("{% load notifications %}{% notification_live %}").render(
        Context({"user": user, "request": request})
    )
    assert html.count("notifications.js") == 1, "a page without the bell still gets the live client"


def test_dashboard_page_has_one_socket_client(user_factory):
    user = user_factory()
    client = Client()
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert html.count("js/notifications.js") == 1
