"""An editor keeps the analytics dashboard open; a learner books; the "Bookings today" tile changes live.

pytest-django's ``live_server`` speaks WSGI only, so the real ASGI application
(HTTP and ``ws/dashboard/``) runs under uvicorn in a thread of this process, on
a free port of 127.0.0.1: in-process it shares the test database (SQLite in
memory by default) and the in-memory channel layer. The booking is made
through the REST API of that server, as a learner's app would, so it happens
in the server like any real booking.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "editor@example.org"
PASSWORD = "a-Strong-pass-123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db):
    """``peerlearn.asgi`` under uvicorn on http://127.0.0.1:<port>, for the length of one test."""
    import uvicorn
    from peerlearn.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def book_through_the_api(base_url: str, token: str, session_id: int) -> dict:
    request = urllib.request.Request(
        f"{base_url}/api/sessions/{session_id}/book/",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def test_bookings_today_tile_changes_when_a_booking_is_made(asgi_server, browser, user_factory, results_dir):
    from rest_framework.authtoken.models import Token

    from core.scheduling.services.sessions import create_session

    user_factory(email=ADMIN_EMAIL, password=PASSWORD, display_name="Edna Editor", is_staff=True, is_superuser=True)
    mentor = user_factory(display_name="Maya Mentor", is_mentor=True)
    learner = user_factory(display_name="Lee Learner")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    session = create_session(mentor, title="Free Python clinic", start=start, duration_minutes=60, capacity=3)
    token = Token.objects.create(user=learner).key

    context = browser.new_context(base_url=asgi_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/admin/login/")
        page.fill("input[name=username]", ADMIN_EMAIL)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.goto("/admin/analytics/")
        tile = page.locator('[data-tile="bookings_today"]')
        expect(tile).to_have_text("0")
        # the socket is open once the page says so (the consumer also sends the tiles on connect)
        expect(page.locator("[data-dashboard-socket]")).to_have_attribute("data-live", "open")

        booking = book_through_the_api(asgi_server, token, session.pk)
        assert booking["status"] == "confirmed"

        expect(tile).to_have_text("1")  # pushed over ws/dashboard/, no reload
        page.screenshot(path=str(results_dir / "dashboard-live.png"), full_page=True)
    finally:
        context.close()
