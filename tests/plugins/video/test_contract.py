"""The video contract (``peerlearn_testing``), run against every installed video plugin."""

from __future__ import annotations

import pytest

from peerlearn_testing import VideoBackendContract
from peerlearn_testing.plugins import of_kind

PLUGINS = of_kind("video")


def test_the_built_in_video_plugins_are_registered():
    assert {"video_p2p", "turn_credentials"} <= set(PLUGINS)


@pytest.fixture(params=PLUGINS)
def peerlearn_plugin(request) -> str:
    return request.param


class TestVideoBackendContract(VideoBackendContract):
    @pytest.fixture
    def plugin_settings(self, peerlearn_plugin: str, request) -> dict:
        """The SFU needs its server (rooms are made on it) and a secret: a private Janus for it."""
        if peerlearn_plugin != "video_janus":
            return {}
        janus = request.getfixturevalue("janus")
        recordings = request.getfixturevalue("tmp_path") / "recordings"
        return {
            "admin_url": janus.admin_url,
            "public_ws_url": janus.ws_url,
            "admin_secret": janus.admin_secret,
            "api_url": janus.http_url,
            "recordings_dir": str(recordings),
        }
