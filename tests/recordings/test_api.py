"""Recording with consent on the mesh (browser recording): the rules, the REST API and the stored files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from core.recordings.models import ConsentDecision, Recording, RecordingChunk, RecordingFile

pytestmark = pytest.mark.django_db


def status_url(world) -> str:
    return f"/api/sessions/{world.session.pk}/recording-consent/"


def upload(client, recording_id: int, data: bytes, *, index: int, take: str = "take-1", final: bool = False):
    query = f"take={take}&index={index}" + ("&final=1" if final else "")
    return client.post(
        f"/api/recordings/{recording_id}/chunks/?{query}", data=data, content_type="application/octet-stream"
    )


def webm_bytes(tmp_path: Path, seconds: float = 2.0) -> bytes:
    """A small real WebM (VP8 + Opus), as a browser's MediaRecorder would produce."""
    import av
    import numpy

    path = tmp_path / "sample.webm"
    with av.open(str(path), "w", format="webm") as out:
        video = out.add_stream("libvpx", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("libopus", rate=48000)
        for n in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(numpy.full((48, 64, 3), n * 10 % 255, numpy.uint8), format="rgb24")
            frame.pts = n
            for packet in video.encode(frame):
                out.mux(packet)
        samples = 960
        for n in range(int(seconds * 48000 / samples)):
            frame = av.AudioFrame.from_ndarray(numpy.zeros((1, samples), numpy.int16), format="s16", layout="mono")
            frame.sample_rate, frame.pts = 48000, n * samples
            for packet in audio.encode(frame):
                out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)
    return path.read_bytes()


def test_the_mentor_starts_everyone_is_asked_and_only_consenting_media_is_taken(world, client_for, tmp_path):
    mentor, learner, learner2 = client_for(world.mentor), client_for(world.learner), client_for(world.learner2)

    before = learner.get(status_url(world)).json()
    assert before["recording"] is None and before["your_decision"] == ""
    assert mentor.get(status_url(world)).json()["can_record"] is True, "the mesh declares browser recording"

    # Only the mentor starts.
    refused = learner.post(f"/api/sessions/{world.session.pk}/recordings/")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    started = mentor.post(f"/api/sessions/{world.session.pk}/recordings/")
    assert started.status_code == 201, started.content
    recording_id = started.json()["id"]
    assert started.json()["location"] == "browser"
    again = mentor.post(f"/api/sessions/{world.session.pk}/recordings/")
    assert again.status_code == 409 and again.json()["code"] == "already_recording"

    # Everyone sees who is recording; the learners are asked.
    seen = learner.get(status_url(world)).json()
    assert seen["recording"]["started_by"] == "Maya Mentor"
    assert seen["recording"]["upload_url"] == f"/api/recordings/{recording_id}/chunks/"
    assert seen["your_decision"] == "" and seen["recorded"] == ["Maya Mentor"], "starting is the mentor's consent"

    # Before deciding, a learner's page may upload nothing.
    early = upload(learner, recording_id, b"x" * 100, index=0)
    assert early.status_code == 403 and early.json()["code"] == "no_consent"
    assert not RecordingFile.objects.exists()

    # Leo declines and stays in the room; Lina consents.
    declined = learner.post(status_url(world), {"decision": "declined"}, content_type="application/json")
    assert declined.status_code == 200 and declined.json()["your_decision"] == "declined"
    granted = learner2.post(status_url(world), {"decision": "granted"}, content_type="application/json")
    assert granted.json()["recorded"] == ["Lina Learner", "Maya Mentor"]
    assert granted.json()["declined"] == ["Leo Learner"]
    assert upload(learner, recording_id, b"x" * 100, index=0).status_code == 403
    bad = learner2.post(status_url(world), {"decision": "maybe"}, content_type="application/json")
    assert bad.status_code == 400

    # Lina's page uploads in order; gaps, oversize and strangers are refused and write nothing.
    media = webm_bytes(tmp_path)
    half = len(media) // 2
    assert upload(learner2, recording_id, media[:half], index=0).status_code == 201
    gap = upload(learner2, recording_id, media[half:], index=2)
    assert gap.status_code == 409 and gap.json()["code"] == "wrong_index"
    from core.recordings import services

    huge = upload(learner2, recording_id, b"x" * (services.CHUNK_MAX_BYTES + 1), index=1)
    assert huge.status_code == 413
    stranger = upload(client_for(world.stranger), recording_id, media, index=0)
    assert stranger.status_code == 404
    assert RecordingChunk.objects.count() == 1
    done = upload(learner2, recording_id, media[half:], index=1, final=True)
    assert done.status_code == 201 and done.json()["complete"] is True
    part = RecordingFile.objects.get(pk=done.json()["file_id"])
    assert part.user == world.learner2 and part.size == len(media) and part.has_audio and part.has_video
    assert abs(part.duration_seconds - 2.0) < 0.5, part.duration_seconds
    assert not RecordingChunk.objects.exists(), "chunks go once the file is assembled"

    # The mentor stops; with every take complete the recording is ready at once.
    stop = mentor.post(f"/api/sessions/{world.session.pk}/recordings/stop/")
    assert stop.status_code == 200
    recording = Recording.objects.get(pk=recording_id)
    assert recording.state == Recording.READY
    assert recording.expires_at is not None and recording.expires_at > timezone.now() + timedelta(days=29)
    assert mentor.post(f"/api/sessions/{world.session.pk}/recordings/stop/").status_code == 409

    # Every decision is logged.
    log = list(ConsentDecision.objects.filter(session=world.session).order_by("decided_at", "id"))
    assert [(row.user, row.decision) for row in log] == [
        (world.mentor, "granted"),
        (world.learner, "declined"),
        (world.learner2, "granted"),
    ]
    assert all(row.recording_id == recording_id for row in log)

    # Listing and downloading: participants yes, strangers learn nothing.
    listed = learner.get(f"/api/sessions/{world.session.pk}/recordings/").json()
    assert [r["id"] for r in listed] == [recording_id] and len(listed[0]["files"]) == 1
    download_url = listed[0]["files"][0]["download_url"]
    response = learner.get(download_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "video/webm" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == media
    outsider = client_for(world.stranger)
    assert outsider.get(download_url).status_code == 404
    assert outsider.get(f"/api/sessions/{world.session.pk}/recordings/").status_code == 404
    assert outsider.get(f"/api/recordings/{recording_id}/").status_code == 404
    assert outsider.get(f"/recordings/{recording_id}/").status_code == 404
    page = learner.get(f"/recordings/{recording_id}/")
    assert page.status_code == 200 and download_url.encode() in page.content and b"Lina Learner" in page.content


def test_a_withdrawn_consent_stops_the_upload_and_a_late_one_starts_it(world, client_for):
    from core.recordings import services

    recording = services.start(world.session.pk, world.mentor)
    services.decide(world.session.pk, world.learner, True)
    learner = client_for(world.learner)
    assert upload(learner, recording.pk, b"abc", index=0).status_code == 201
    services.decide(world.session.pk, world.learner, False)
    assert upload(learner, recording.pk, b"def", index=1).status_code == 403
    assert [p.display_name for p in services.recorded_participants(world.session)] == ["Maya Mentor"]
    services.decide(world.session.pk, world.learner, True)
    assert upload(learner, recording.pk, b"def", index=1).status_code == 201
    assert ConsentDecision.objects.filter(user=world.learner).count() == 3
    empty = upload(learner, recording.pk, b"", index=2)
    assert empty.status_code == 400 and empty.json()["code"] == "empty_chunk"
    # An empty last piece only says "done": the take is assembled from what came before.
    done = upload(learner, recording.pk, b"", index=2, final=True)
    assert done.status_code == 201 and done.json() == {"file_id": done.json()["file_id"], "size": 6, "complete": True}
    assert RecordingFile.objects.get(pk=done.json()["file_id"]).file.read() == b"abcdef"


def test_deletion_on_request_and_retention(world, client_for, tmp_path):
    from core.recordings import services

    recording = services.start(world.session.pk, world.mentor)
    services.decide(world.session.pk, world.learner, True)
    mine = services.upload_chunk(recording.pk, world.learner, take="a", index=0, data=b"learner", final=True)
    theirs = services.upload_chunk(recording.pk, world.mentor, take="b", index=0, data=b"mentor", final=True)
    services.stop(world.session.pk, world.mentor)
    stored = [mine.file.name, RecordingFile.objects.get(pk=theirs.pk).file.name]
    assert all(default_storage.exists(name) for name in stored)

    learner = client_for(world.learner)
    assert learner.delete(f"/api/recordings/{recording.pk}/").status_code == 403, "a learner cannot delete it all"
    assert learner.delete(f"/api/recordings/{recording.pk}/my-media/").json() == {"deleted": 1}
    assert not default_storage.exists(stored[0]) and default_storage.exists(stored[1])

    # Retention: past its expiry the beat task deletes it with its files.
    Recording.objects.filter(pk=recording.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    from core.recordings.tasks import expire_recordings

    assert expire_recordings() == 1
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not default_storage.exists(stored[1])

    # The mentor deletes on request.
    second = services.start(world.session.pk, world.mentor)
    services.stop(world.session.pk, world.mentor)
    assert client_for(world.mentor).delete(f"/api/recordings/{second.pk}/").status_code == 204
    assert not Recording.objects.filter(pk=second.pk).exists()


def test_a_backend_without_the_capability_offers_no_recording(world, client_for, monkeypatch):
    from core.recordings import services

    monkeypatch.setattr(services, "recording_location", lambda backend: None)
    mentor = client_for(world.mentor)
    assert mentor.get(status_url(world)).json()["can_record"] is False
    refused = mentor.post(f"/api/sessions/{world.session.pk}/recordings/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_supported"
    assert not Recording.objects.exists()


def test_a_stranger_and_a_cancelled_learner_cannot_consent_or_see_the_status(world, client_for):
    for person in (world.stranger, world.cancelled):
        client = client_for(person)
        assert client.get(status_url(world)).status_code == 403
        posted = client.post(status_url(world), {"decision": "granted"}, content_type="application/json")
        assert posted.status_code == 403
    assert not ConsentDecision.objects.exists()


def test_ending_the_session_stops_the_recording(world, django_capture_on_commit_callbacks):
    from core.recordings import services
    from core.rooms.services import end_room
    from core.scheduling.services.sessions import start_session

    start_session(world.session, world.mentor)
    recording = services.start(world.session.pk, world.mentor)
    with django_capture_on_commit_callbacks(execute=True):
        end_room(world.session.pk, world.mentor)
    recording.refresh_from_db()
    assert recording.state in (Recording.PROCESSING, Recording.READY) and recording.stopped_at is not None


def test_editors_list_and_delete_recordings_in_the_admin(world, client_for, user_factory):
    from core.recordings import services

    recording = services.start(world.session.pk, world.mentor)
    services.stop(world.session.pk, world.mentor)
    editor = user_factory(is_staff=True, is_superuser=True, display_name="Eddie Editor")
    admin = client_for(editor)
    listing = admin.get("/admin/room_recordings/")
    assert listing.status_code == 200 and world.session.title.encode() in listing.content
    assert admin.get(f"/admin/room_recordings/inspect/{recording.pk}/").status_code == 200
    assert admin.get("/admin/recording_consent/").status_code == 200
    assert admin.post(f"/admin/room_recordings/delete/{recording.pk}/").status_code == 302
    assert not Recording.objects.filter(pk=recording.pk).exists()
    # An editor may also watch any session's recordings over the API.
    assert admin.get(f"/api/sessions/{world.session.pk}/recordings/").status_code == 200


def test_the_room_page_shows_the_recording_panel_and_the_mentor_its_buttons(world, client_for):
    mentor_page = client_for(world.mentor).get(f"/sessions/{world.session.pk}/room/")
    assert mentor_page.status_code == 200
    html = mentor_page.content.decode()
    assert 'id="recording-panel"' in html and f'data-status-url="{status_url(world)}"' in html
    assert 'id="recording-start"' in html and "js/recording.js" in html
    learner_html = client_for(world.learner).get(f"/sessions/{world.session.pk}/room/").content.decode()
    assert 'id="recording-consent"' in learner_html and 'id="recording-start"' not in learner_html
    assert "Nothing is recorded without your consent" in learner_html
