"""The default video backend: a peer-to-peer WebRTC mesh, signalled over Django Channels.

Nothing leaves the participants' browsers but the signalling messages, which
the core relays over its own ``ws/session/<id>/`` endpoint (see
``core/rooms/PROTOCOL.md``): no third-party service is involved. Because every
browser sends its media to every other one, a mesh suits one-to-one sessions
and small groups; ``max_participants`` caps it (the core refuses the next
joiner), and larger groups belong to an SFU plugin. Recordings are made in
each consenting participant's browser and uploaded to the site.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.plugins import (
    BrowserRecording,
    PluginConfig,
    PluginMeta,
    RoomInfo,
    RoomRequest,
    SettingField,
    VideoBackend,
    hookimpl,
)

MESH_LIMIT = 8  # past this, upload bandwidth of a typical home line runs out

peerlearn_meta = PluginMeta(
    name=gettext_noop("Peer-to-peer video (WebRTC mesh)"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Browsers connect to each other directly with WebRTC; the site only relays "
            "the signalling messages. Best for one-to-one sessions and small groups."
        )
    ),
    kind="video",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "max_participants",
            gettext_noop("Most participants in one room"),
            "int",
            default=4,
            # States MESH_LIMIT: a catalogue message is a constant, so change both together.
            help_text=gettext_noop("Mentor included, 2 to 8. Each browser sends its video to every other one."),
        ),
        SettingField(
            "ice_transport_policy",
            gettext_noop("ICE transport policy"),
            "choice",
            default="all",
            choices=(
                ("all", gettext_noop("Direct when possible (all)")),
                ("relay", gettext_noop("Always through TURN (relay)")),
            ),
            help_text=gettext_noop("'relay' hides participants' addresses from each other; it needs a TURN server."),
        ),
        SettingField(
            "max_video_height",
            gettext_noop("Camera resolution (height in pixels)"),
            "int",
            default=720,
            help_text=gettext_noop("Asked of the camera; lower it for slow connections (e.g. 360)."),
        ),
    ),
)


class P2PMeshBackend(VideoBackend, BrowserRecording):
    """Mesh of ``RTCPeerConnection``s, one per pair of participants.

    Recording happens in the browsers (``BrowserRecording``): no server sees
    the media, so each consenting participant's page records its own camera
    and microphone and uploads it to the site.
    """

    identifier = "p2p"
    display_name = "Peer-to-peer (WebRTC mesh)"

    def __init__(self, max_participants: int = 4, ice_transport_policy: str = "all", max_video_height: int = 720):
        self.max_participants = max(2, min(MESH_LIMIT, int(max_participants)))
        self.ice_transport_policy = "relay" if ice_transport_policy == "relay" else "all"
        self.max_video_height = max(144, min(1080, int(max_video_height)))

    def room_for(self, request: RoomRequest) -> RoomInfo:
        return RoomInfo(
            mode="signalling",
            signalling_path=request.signalling_path,
            page_config={
                "topology": "mesh",
                "iceTransportPolicy": self.ice_transport_policy,
                "video": {"height": {"ideal": self.max_video_height}, "frameRate": {"ideal": 30}},
            },
        )


@hookimpl
def peerlearn_video_backends(config: PluginConfig) -> list[VideoBackend]:
    return [
        P2PMeshBackend(
            max_participants=config.get("max_participants") or 4,
            ice_transport_policy=config.get("ice_transport_policy") or "all",
            max_video_height=config.get("max_video_height") or 720,
        )
    ]
