from collections.abc import Mapping, Sequence

from core.plugins import IceServer
from core.plugins.typecheck import matches


def test_sequences_check_every_item():
    assert matches([IceServer(urls=("stun:x",))], Sequence[IceServer])
    assert matches((), Sequence[IceServer])
    assert not matches("stun:x", Sequence[IceServer])
    assert not matches([IceServer(urls=("stun:x",)), "y"], Sequence[IceServer])


def test_mappings_none_and_unions():
    assert matches({"mentor:1": 0.5, "mentor:2": 1}, Mapping[str, float])
    assert not matches({"mentor:1": "high"}, Mapping[str, float])
    assert not matches({"mentor:1": True}, Mapping[str, float])
    assert matches(None, None)
    assert not matches(0, None)
    assert matches(None, IceServer | None)
