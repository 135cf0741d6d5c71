"""Two Chromium pages, the mentor's and the learner's, meet in a session room.

The site runs in this process (uvicorn on a Unix socket: HTTP and WebSockets,
the embedded default's SQLite and in-memory channel layer). Chromium runs in a
network namespace of its own with fake camera and microphone, so WebRTC only
ever sees the loopback (tests/rooms/netns_browser.py). Each page must show
the other's video playing, chat must cross, a dropped socket must heal, and
ending the session must complete it with attendance recorded.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM, REQUIRE_BROWSER, RESULTS_DIR
from tests.plugins.video.conftest import default_site
from tests.rooms.conftest import make_world
from tests.rooms.netns_browser import write_launcher
from tests.rooms.servers import InProcessServer, can_unshare, free_port

ROOM_ARGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--autoplay-policy=no-user-gesture-required",
]
TIMEOUT_MS = 20_000

REMOTE_VIDEO_PLAYING = """() => {
  const video = document.querySelector('.room-tile:not([data-local]) video');
  return Boolean(video && video.videoWidth > 0 && !video.paused);
}"""


@pytest.fixture
def room_site(transactional_db, tmp_path):
    from core.rooms import services

    default_site()  # an earlier transactional test may have flushed the one the migrations made
    services.forget_backend_decisions()
    uds = str(tmp_path / "site.sock")
    with InProcessServer(uds, free_port()) as server:
        yield server


@pytest.fixture
def netns_chromium(playwright, room_site, tmp_path):
    """Chromium in its own network namespace, reaching the site at http://127.0.0.1:<port>.

    Uses the package's Playwright (see tests/e2e/conftest.py): it cannot be started twice.
    """
    reason = can_unshare()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    port = room_site.port
    launcher = write_launcher(tmp_path, room_site.uds, port, CHROMIUM)
    browser = playwright.chromium.launch(executable_path=str(launcher), args=ROOM_ARGS, headless=True)
    try:
        yield browser, f"http://127.0.0.1:{port}"
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


def frames_decoded(page) -> int:
    return sum(page.evaluate("() => window.peerlearnRoom.framesDecoded()").values())


def assert_video_flows(page) -> None:
    page.wait_for_function(REMOTE_VIDEO_PLAYING)
    before = frames_decoded(page)
    page.wait_for_timeout(1500)
    assert frames_decoded(page) > before + 5, "decoded frames keep rising"


def test_mentor_and_learner_see_each_other_chat_reconnect_and_end(netns_chromium, user_factory, request):
    from core.rooms.models import Attendance, ChatMessage
    from core.scheduling.models import Session

    browser, base_url = netns_chromium
    world = make_world(user_factory, capacity=1)
    mentor = open_room(browser, base_url, world.cookies[world.mentor.pk], world.session.pk)
    learner = open_room(browser, base_url, world.cookies[world.learner.pk], world.session.pk)
    pages = {"mentor": mentor, "learner": learner}
    try:
        for page in pages.values():
            page.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
            assert page.locator("#media-error").is_hidden()
        mentor.get_by_role("button", name="Start the session").click()
        mentor.locator("#call").wait_for()
        learner.get_by_role("button", name="Join the session").click()

        for page in pages.values():
            assert_video_flows(page)
        assert Session.objects.get(pk=world.session.pk).status == Session.IN_PROGRESS
        mentor.locator("#participants").get_by_text("Leo Learner").wait_for()
        learner.locator("#participants").get_by_text("Maya Mentor · mentor").wait_for()
        learner.locator(".room-quality[data-quality='good']").wait_for()
        RESULTS_DIR.mkdir(exist_ok=True)
        mentor.screenshot(path=str(RESULTS_DIR / "room-call-mentor.png"))  # for people reviewing the look

        mentor.locator("#chat-input").fill("Welcome! Can you hear me?")
        mentor.locator("#chat-input").press("Enter")
        learner.locator("#chat-log").get_by_text("Welcome! Can you hear me?").wait_for()
        learner.locator("#chat-input").fill("Loud and clear.")
        learner.get_by_role("button", name="Send").click()
        mentor.locator("#chat-log").get_by_text("Loud and clear.").wait_for()

        learner.get_by_role("button", name="Mute").click()
        mentor.locator(".room-tile:not([data-local]) .room-label").get_by_text("muted").wait_for()

        # Screen sharing replaces the learner's camera track; the mentor is told and keeps receiving video.
        learner.get_by_role("button", name="Share screen").click()
        learner.get_by_role("button", name="Stop sharing").wait_for()
        mentor.locator(".room-tile[data-screen]:not([data-local])").wait_for()
        assert_video_flows(mentor)
        learner.get_by_role("button", name="Stop sharing").click()
        mentor.locator(".room-tile:not([data-local]):not([data-screen])").wait_for()

        # A network blip: the learner's signalling socket drops; the page reconnects and offers afresh.
        learner.evaluate("() => window.peerlearnRoom.dropSocket()")
        learner.locator("#room-notice").get_by_text("Connection to the room lost").wait_for()
        learner.locator("#room-notice").get_by_text("Reconnected").wait_for()
        for page in pages.values():
            assert_video_flows(page)

        mentor.get_by_role("button", name="End session for everyone").click()
        for page in pages.values():
            page.locator("#after-title").get_by_text("The session has ended").wait_for()
        session = Session.objects.get(pk=world.session.pk)
        assert session.status == Session.COMPLETED
        reasons = sorted(Attendance.objects.filter(session=session).values_list("user_id", "leave_reason"))
        assert reasons == sorted(
            [
                (world.mentor.pk, Attendance.ENDED),
                (world.learner.pk, Attendance.DISCONNECTED),
                (world.learner.pk, Attendance.ENDED),
            ]
        )
        assert list(ChatMessage.objects.filter(session=session).values_list("text", flat=True)) == [
            "Welcome! Can you hear me?",
            "Loud and clear.",
        ]
        # Afterwards the room page shows the chat and the attendance.
        learner.goto(f"/sessions/{world.session.pk}/room/")
        learner.locator("#transcript").get_by_text("Loud and clear.").wait_for()
        learner.locator("#attendance").get_by_text("Leo Learner").wait_for()
    except Exception:
        RESULTS_DIR.mkdir(exist_ok=True)
        for role, page in pages.items():
            page.screenshot(path=str(RESULTS_DIR / f"{request.node.name}-{role}.png"), full_page=True)
        raise


def test_a_denied_camera_is_explained_and_joining_without_it_works(netns_chromium, user_factory, request):
    """Without the fake-UI flag's permission the camera is refused: the lobby says what to do."""
    browser, base_url = netns_chromium
    world = make_world(user_factory, capacity=1)
    name, value = world.cookies[world.learner.pk].split("=", 1)
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    # Make the browser refuse, as when a person clicks "Block".
    page.add_init_script(
        """
        navigator.mediaDevices.getUserMedia = () =>
          Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
        """
    )
    page.goto(f"/sessions/{world.session.pk}/room/")
    error = page.locator("#media-error")
    error.get_by_text("Your browser blocked the camera").wait_for()
    assert page.get_by_role("button", name="Try my camera again").is_visible()
    assert page.locator("#join-video").is_disabled()
    page.get_by_role("button", name="Join the session").click()
    page.locator("#call").wait_for()
    page.locator("#participants").get_by_text("Leo Learner (you)").wait_for()
    context.close()
