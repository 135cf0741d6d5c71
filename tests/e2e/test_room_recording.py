"""Recording with consent in the mesh: two Chromium pages with fake media record themselves and upload.

The mentor starts recording from the room; the learner's page shows who is
recording and asks; after she consents both pages record their own camera
and microphone with MediaRecorder and upload the pieces; the mentor stops, the
pages send their last piece, and each person's file is stored, plays (PyAV:
audio and video) and is offered on the playback page.
"""

from __future__ import annotations

import time

from tests.e2e.conftest import RESULTS_DIR
from tests.e2e.test_room import netns_chromium, open_room, room_site  # noqa: F401  (shared fixtures)
from tests.rooms.conftest import make_world


def test_the_mentor_records_a_consenting_learner_in_the_mesh(netns_chromium, user_factory, settings, tmp_path, request):  # noqa: F811
    import av

    from core.recordings.models import ConsentDecision, Recording

    settings.MEDIA_ROOT = str(tmp_path / "media")
    browser, base_url = netns_chromium
    world = make_world(user_factory, capacity=1)
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

        mentor.get_by_role("button", name="Start recording").click()
        mentor.locator("#recording-live").wait_for()
        learner.locator("#recording-by").get_by_text("Started by Maya Mentor.").wait_for()
        learner.locator("#recording-ask").wait_for()
        RESULTS_DIR.mkdir(exist_ok=True)
        learner.screenshot(path=str(RESULTS_DIR / "room-recording-ask.png"))
        learner.get_by_role("button", name="I consent").click()
        learner.locator("#recording-you-granted").wait_for()
        mentor.locator("#recording-who").get_by_text("Leo Learner").wait_for(timeout=10_000)

        time.sleep(9)  # two pieces from each page
        mentor.get_by_role("button", name="Stop recording").click()
        mentor.get_by_role("button", name="Start recording").wait_for()

        recording = Recording.objects.get(session=world.session)
        deadline = time.monotonic() + 30
        while recording.state != Recording.READY and time.monotonic() < deadline:
            time.sleep(0.5)
            recording.refresh_from_db()
        takes = [(p.display_name, p.complete, p.chunks.count()) for p in recording.files.all()]
        assert recording.state == Recording.READY, (recording.state, takes)
        files = list(recording.files.all())
        assert {part.user_id for part in files} == {world.mentor.pk, world.learner.pk}
        for part in files:
            with av.open(part.file.path) as container:
                assert {s.type for s in container.streams} == {"audio", "video"}, part.display_name
            assert part.duration_seconds > 4, (part.display_name, part.duration_seconds)
        assert list(ConsentDecision.objects.values_list("user_id", "decision").order_by("id")) == [
            (world.mentor.pk, "granted"),
            (world.learner.pk, "granted"),
        ]

        learner.goto(f"/recordings/{recording.pk}/")
        learner.locator("figure[data-file] video").first.wait_for()
        assert learner.locator("figure[data-file]").count() == 2
        learner.screenshot(path=str(RESULTS_DIR / "recording-playback.png"), full_page=True)
    except Exception:
        RESULTS_DIR.mkdir(exist_ok=True)
        for role, page in pages.items():
            page.screenshot(path=str(RESULTS_DIR / f"{request.node.name}-{role}.png"), full_page=True)
        raise
