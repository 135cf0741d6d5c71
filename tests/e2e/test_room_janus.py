"""Two Chromium pages meet through a real Janus: the room page with the Janus plugin's media script.

The site runs in this process (uvicorn on a loopback TCP port), Janus privately
on its own ports (tests/plugins/video/janus_server.py). Chromium has fake
camera and microphone; having them, it offers its real host address, which
Janus reaches on this machine. Each page must play the other's video and keep
decoding frames; chat still goes through the core's socket; the low-bandwidth
switch steps the subscription down; ending the session closes the room.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.e2e.conftest import CHROMIUM, RESULTS_DIR
from tests.e2e.test_room import REMOTE_VIDEO_PLAYING, ROOM_ARGS, TIMEOUT_MS, frames_decoded
from tests.plugins.video.conftest import default_site
from tests.plugins.video.janus_server import free_ports, janus_missing, janus_server
from tests.rooms.conftest import make_world


class LoopbackServer:
    """Uvicorn serving ``peerlearn.asgi`` from a thread of the test process on 127.0.0.1:<port>."""

    def __init__(self, port: int) -> None:
        import uvicorn
        from peerlearn.asgi import application

        self.port = port
        config = uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def janus_room_site(transactional_db, tmp_path, playwright):
    from core.plugins import config as plugin_config
    from core.plugins.models import PluginConfiguration
    from core.rooms import services
    from core.rooms.models import RoomSettings

    reason = janus_missing()
    if reason:
        pytest.skip(reason)
    site = default_site()
    services.forget_backend_decisions()
    with janus_server(tmp_path) as janus, LoopbackServer(free_ports(1)[0]) as server:
        PluginConfiguration.objects.update_or_create(
            site=site,
            plugin="video_janus",
            defaults={
                "enabled": True,
                "settings": {"admin_url": janus.admin_url, "public_ws_url": janus.ws_url},
                "secrets": {"admin_secret": janus.admin_secret},
            },
        )
        plugin_config.invalidate(site.pk)
        room_settings = RoomSettings.for_site(site)
        room_settings.video_backend = "janus"  # the mesh would fit this small group too
        room_settings.save()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ROOM_ARGS, headless=True)
        try:
            yield browser, f"http://127.0.0.1:{server.port}", janus
        finally:
            browser.close()


def open_room(browser, base_url: str, cookie: str, session_id: int):
    name, value = cookie.split("=", 1)
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/sessions/{session_id}/room/")
    return page


def test_two_browsers_meet_through_janus(janus_room_site, user_factory, request):
    from core.rooms import services
    from core.scheduling.models import Session

    browser, base_url, janus = janus_room_site
    world = make_world(user_factory, capacity=3)
    services.forget_backend_decisions()
    mentor = open_room(browser, base_url, world.cookies[world.mentor.pk], world.session.pk)
    learner = open_room(browser, base_url, world.cookies[world.learner.pk], world.session.pk)
    pages = {"mentor": mentor, "learner": learner}
    try:
        for page in pages.values():
            page.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
            assert page.evaluate("() => window.peerlearnRoom.config.backend.identifier") == "janus"
        mentor.get_by_role("button", name="Start the session").click()
        mentor.locator("#call").wait_for()
        learner.get_by_role("button", name="Join the session").click()
        learner.locator("#call").wait_for()

        for page in pages.values():
            page.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=30_000)
            before = frames_decoded(page)
            page.wait_for_timeout(1500)
            assert frames_decoded(page) > before + 5, "decoded frames keep rising"
        assert Session.objects.get(pk=world.session.pk).status == Session.IN_PROGRESS
        learner.locator("#participants").get_by_text("Maya Mentor · mentor").wait_for()

        # Chat and the session's state stay on the core's socket.
        mentor.locator("#chat-input").fill("Hello through the SFU")
        mentor.get_by_role("button", name="Send").click()
        mentor.locator("#chat-log").get_by_text("Hello through the SFU").wait_for()
        learner.locator("#chat-log").get_by_text("Hello through the SFU").wait_for()

        # The learner's low-bandwidth switch asks Janus for the lowest simulcast layer.
        learner.get_by_role("button", name="Low bandwidth").click()
        learner.locator("#room-notice").get_by_text("Low bandwidth").wait_for()
        levels = learner.evaluate("() => [...window.peerlearnJanus.feeds.values()].map((feed) => feed.level)")
        assert levels == [0], levels
        before = frames_decoded(learner)
        learner.wait_for_timeout(2000)
        assert frames_decoded(learner) > before, "video keeps coming on the low layer"
        RESULTS_DIR.mkdir(exist_ok=True)
        learner.screenshot(path=str(RESULTS_DIR / "room-janus-learner.png"))

        mentor.get_by_role("button", name="End session for everyone").click()
        for page in pages.values():
            page.locator("#after-title").get_by_text("The session has ended").wait_for()
        assert Session.objects.get(pk=world.session.pk).status == Session.COMPLETED
    except Exception:
        RESULTS_DIR.mkdir(exist_ok=True)
        for role, page in pages.items():
            page.screenshot(path=str(RESULTS_DIR / f"{request.node.name}-{role}.png"), full_page=True)
        print(janus.log_tail())
        raise
