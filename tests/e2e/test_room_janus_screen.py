"""Screen share as a second publisher, and the grid / speaker layouts, through a real Janus.

Two Chromium pages (fake camera, microphone and screen: Chromium's fake
capture UI picks a fake "Entire screen" for getDisplayMedia) meet in a
session's VideoRoom. The learner shares a screen: it is a feed of its own in
Janus (the learner's second publisher, the same token), the mentor receives it
as a second video labelled "<name> (screen)" that decodes frames and takes the
large tile, while the learner's camera keeps flowing; stopping the share
removes it. The "Speaker view" switch changes the layout.
"""

from __future__ import annotations

from tests.e2e import test_room_janus
from tests.e2e.conftest import RESULTS_DIR
from tests.e2e.test_room import REMOTE_VIDEO_PLAYING, frames_decoded
from tests.e2e.test_room_janus import open_room
from tests.rooms.conftest import make_world

janus_room_site = test_room_janus.janus_room_site  # the site, Janus and Chromium of the camera test

SCREEN_TILE = ".room-tile[data-screen-feed]"
SCREEN_PLAYING = """() => {
  const video = document.querySelector('.room-tile[data-screen-feed] video');
  return Boolean(video && video.videoWidth > 0 && !video.paused);
}"""


def screen_time(page) -> float:
    return page.evaluate("() => document.querySelector('.room-tile[data-screen-feed] video').currentTime")


def publisher_ids(janus, room: int) -> set[int]:
    """The feeds Janus itself lists as publishing in ``room`` (asked over its admin API)."""
    from plugins.video.janus.admin import JanusAdmin

    listed = JanusAdmin(janus.admin_url, janus.admin_secret).videoroom({"request": "listparticipants", "room": room})
    return {p["id"] for p in listed.get("participants", []) if p.get("publisher")}


def test_screen_share_is_a_second_feed_and_speaker_view_changes_the_layout(janus_room_site, user_factory, request):
    from core.rooms import services

    browser, base_url, janus = janus_room_site
    world = make_world(user_factory, capacity=3)
    services.forget_backend_decisions()
    mentor = open_room(browser, base_url, world.cookies[world.mentor.pk], world.session.pk)
    learner = open_room(browser, base_url, world.cookies[world.learner.pk], world.session.pk)
    pages = {"mentor": mentor, "learner": learner}
    try:
        for page in pages.values():
            page.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
        mentor.get_by_role("button", name="Start the session").click()
        mentor.locator("#call").wait_for()
        learner.get_by_role("button", name="Join the session").click()
        learner.locator("#call").wait_for()
        for page in pages.values():
            page.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=30_000)
            assert page.locator("#tiles").get_attribute("data-layout") == "grid"
            assert page.locator("#tiles .room-tile[data-stage]").count() == 0, "a plain grid has no large tile"
        settings = learner.evaluate("() => window.peerlearnJanus.settings")
        room = settings["room"]
        mentor_feed = mentor.evaluate("() => window.peerlearnJanus.ownFeedId")
        assert publisher_ids(janus, room) == {settings["feedId"], mentor_feed}

        # The learner shares a screen: a second publisher of hers in Janus, the camera stays.
        learner.get_by_role("button", name="Share screen").click()
        learner.get_by_role("button", name="Stop sharing").wait_for()
        learner.locator(".room-tile[data-own-screen]").get_by_text("Your screen").wait_for()
        mentor.locator(SCREEN_TILE).get_by_text("Leo Learner (screen)").wait_for(timeout=30_000)
        mentor.wait_for_function(SCREEN_PLAYING, timeout=30_000)
        started = screen_time(mentor)
        before = frames_decoded(mentor)
        mentor.wait_for_timeout(2000)
        assert screen_time(mentor) > started, "the shared screen keeps playing"
        assert frames_decoded(mentor) > before + 5, "the learner's camera keeps coming too"
        assert settings["screenFeedId"] in publisher_ids(janus, room), "Janus lists the screen as a feed of its own"
        feeds = mentor.evaluate("() => [...window.peerlearnJanus.feeds.values()].map((f) => [f.peerId, f.screen])")
        assert sorted(feeds, key=str) == sorted([[feeds[0][0], False], [feeds[0][0], True]], key=str), feeds
        # A shared screen takes the large tile, in the grid too.
        assert mentor.locator(f"{SCREEN_TILE}[data-stage]").count() == 1
        box = mentor.locator(SCREEN_TILE).bounding_box()
        camera = mentor.locator(".room-tile[data-peer]:not([data-local])").bounding_box()
        assert box["width"] > camera["width"] * 1.5, (box, camera)
        RESULTS_DIR.mkdir(exist_ok=True)
        mentor.screenshot(path=str(RESULTS_DIR / "room-janus-screen-mentor.png"))

        # Speaker view: the layout switches, the screen keeps the stage.
        mentor.get_by_role("button", name="Speaker view").click()
        assert mentor.locator("#tiles").get_attribute("data-layout") == "speaker"
        mentor.get_by_role("button", name="Grid view").wait_for()
        assert mentor.locator(f"{SCREEN_TILE}[data-stage]").count() == 1

        # Stopping the share unpublishes it: gone from Janus and from the mentor's page.
        learner.get_by_role("button", name="Stop sharing").click()
        learner.get_by_role("button", name="Share screen").wait_for()
        mentor.locator(SCREEN_TILE).wait_for(state="detached", timeout=15_000)
        assert learner.locator(".room-tile[data-own-screen]").count() == 0
        assert settings["screenFeedId"] not in publisher_ids(janus, room)

        # Without a screen, speaker view enlarges a person (the speaker, else the other participant).
        stage = mentor.locator("#tiles .room-tile[data-stage]")
        stage.wait_for()
        assert stage.get_attribute("data-peer") is not None
        # Both fake microphones beep: someone is found speaking (Janus "talking" events or the audio level).
        mentor.locator("#tiles .room-tile[data-speaking]").wait_for(timeout=20_000)
        from_events = mentor.evaluate("() => window.peerlearnJanus.layout.lastEvent > 0")
        print("active speaker from", "VideoRoom talking events" if from_events else "received audio levels")
        stage_box = stage.bounding_box()
        small = mentor.locator("#tiles .room-tile:not([data-stage])").first.bounding_box()
        assert stage_box["width"] > small["width"] * 2, (stage_box, small)
        mentor.screenshot(path=str(RESULTS_DIR / "room-janus-speaker-view.png"))
        mentor.get_by_role("button", name="Grid view").click()
        assert mentor.locator("#tiles").get_attribute("data-layout") == "grid"
        assert mentor.locator("#tiles .room-tile[data-stage]").count() == 0

        # The browser's own "Stop sharing" (the track ends) unpublishes it too.
        learner.get_by_role("button", name="Share screen").click()
        mentor.wait_for_function(SCREEN_PLAYING, timeout=30_000)
        learner.evaluate("() => window.peerlearnJanus.screen.track.dispatchEvent(new Event('ended'))")
        learner.get_by_role("button", name="Share screen").wait_for()
        mentor.locator(SCREEN_TILE).wait_for(state="detached", timeout=15_000)
    except Exception:
        RESULTS_DIR.mkdir(exist_ok=True)
        for role, page in pages.items():
            page.screenshot(path=str(RESULTS_DIR / f"{request.node.name}-{role}.png"), full_page=True)
        print(janus.log_tail())
        raise
