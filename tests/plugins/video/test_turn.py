"""The built-in STUN/TURN plugin, called through the manager like any other."""

import base64
import hashlib
import hmac

from core.plugins import Participant
from core.plugins.manager import get_manager
from core.plugins.models import PluginConfiguration


def test_turn_credentials_follow_the_coturn_rest_scheme(db):
    from wagtail.models import Site

    PluginConfiguration.objects.create(
        site=Site.objects.get(is_default_site=True),
        plugin="turn_credentials",
        enabled=True,
        settings={
            "stun_urls": "stun:stun.example.org:3478",
            "turn_urls": "turn:turn.example.org:3478",
            "ttl_seconds": 600,
        },
        secrets={"turn_secret": "coturn-shared-secret"},
    )
    participant = Participant(user_id=42, display_name="Ada", role="mentor")
    [(name, servers)] = get_manager().call("peerlearn_ice_servers", participant=participant, only=["turn_credentials"])
    stun, turn = servers
    assert stun.urls == ("stun:stun.example.org:3478",) and not stun.username
    expiry, user = turn.username.split(":")
    assert user == "42"
    expected = base64.b64encode(
        hmac.new(b"coturn-shared-secret", turn.username.encode(), hashlib.sha1).digest()
    ).decode()
    assert turn.credential == expected
    import time

    assert 590 <= int(expiry) - time.time() <= 601
    assert turn.as_browser_dict() == {
        "urls": ["turn:turn.example.org:3478"],
        "username": turn.username,
        "credential": expected,
    }


def test_without_a_secret_no_turn_server_is_offered(db):
    participant = Participant(user_id=1, display_name="A", role="learner")
    [(_, servers)] = get_manager().call("peerlearn_ice_servers", participant=participant, only=["turn_credentials"])
    assert servers == []
