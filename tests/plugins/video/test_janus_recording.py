"""The Janus plugin's recording pieces that need no server: when it declares the capability, and the muxer."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from core.plugins import RecordingRequest, recording_location
from peerlearn_testing import plugins

SETTINGS = {"admin_url": "http://127.0.0.1:1/admin", "admin_secret": "s" * 24, "public_ws_url": "ws://127.0.0.1:1/"}


def backend(**values):
    obj = plugins.load("video_janus")
    (found,) = obj.peerlearn_video_backends(config=plugins.default_config("video_janus", obj, **SETTINGS, **values))
    return found


def test_janus_records_only_when_a_recordings_folder_is_configured(tmp_path):
    assert recording_location(backend()) is None, "no folder: the rooms offer no recording"
    recording = backend(recordings_dir=str(tmp_path), api_url="http://127.0.0.1:1/janus")
    assert recording_location(recording) == "server"


def test_only_this_recordings_files_are_exported_or_discarded(tmp_path):
    recording = backend(recordings_dir=str(tmp_path), api_url="http://127.0.0.1:1/janus")
    room = tmp_path / f"room-{recording.rooms.room_id(7)}"
    room.mkdir()
    mine = room / "rec5-u3-s1-h99-video-1.mjr"
    other = room / "rec6-u3-s1-h99-video-1.mjr"
    stray = room / "videoroom-7-user-31-123-video-1.mjr"
    for path in (mine, other, stray):
        path.write_bytes(b"MJR00002")
    request = RecordingRequest(recording_id=5, session_id=7, started_at=0.0)
    assert recording.recorder.files(request) == [mine]
    recording.discard_recording(request)
    assert not mine.exists() and other.exists() and stray.exists()


def _single_stream(path: Path, kind: str, seconds: float) -> Path:
    import av

    with av.open(str(path), "w", format="webm" if kind == "video" else "ogg") as out:
        if kind == "video":
            stream = out.add_stream("libvpx", rate=10)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            frames = [
                av.VideoFrame.from_ndarray(numpy.full((48, 64, 3), n * 9 % 255, numpy.uint8), format="rgb24")
                for n in range(int(seconds * 10))
            ]
            for n, frame in enumerate(frames):
                frame.pts = n
        else:
            stream = out.add_stream("libopus", rate=48000)
            frames = []
            for n in range(int(seconds * 50)):
                frame = av.AudioFrame.from_ndarray(numpy.zeros((1, 960), numpy.int16), format="s16", layout="mono")
                frame.sample_rate, frame.pts = 48000, n * 960
                frames.append(frame)
        for frame in frames:
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def test_the_muxer_joins_audio_and_video_without_reencoding_and_keeps_the_offset(tmp_path):
    import av

    from plugins.video.janus.recording import mux

    video = _single_stream(tmp_path / "v.webm", "video", 3.0)
    audio = _single_stream(tmp_path / "a.opus", "audio", 2.0)
    target = tmp_path / "joined.webm"
    # The audio's first packet came one second after the video's.
    duration = mux(target, [(video, 0.0), (audio, 1.0)])
    assert duration == pytest.approx(3.0, abs=0.15)
    with av.open(str(target)) as joined:
        assert sorted(s.type for s in joined.streams) == ["audio", "video"]
        assert {s.codec_context.name for s in joined.streams} == {"vp8", "opus"}
        first_audio = next(p for p in joined.demux(joined.streams.audio[0]) if p.pts is not None)
        assert float(first_audio.pts * first_audio.time_base) == pytest.approx(1.0, abs=0.05)
