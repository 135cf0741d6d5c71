from collections.abc import Mapping, Sequence

from core.plugins import IceServer
from core.plugins.typecheck import ENTRIES_CHECKED, matches, mismatch


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


def test_dataclass_fields_are_checked_against_their_own_annotations():
    assert matches(IceServer(urls=("stun:x",)), IceServer)
    assert not matches(IceServer(urls="stun:x"), IceServer), "a string is not a tuple of URLs"
    assert not matches(IceServer(urls=("stun:x",), username=7), IceServer)
    assert mismatch([IceServer(urls=("stun:x",), username=7)], Sequence[IceServer]) == (
        "the answer[0].username is int: 7; expected str"
    )
    assert mismatch([IceServer(urls=("stun:x",))], Sequence[IceServer]) == ""


def test_long_containers_are_checked_up_to_a_sample_and_read_entries_later():
    import numpy as np

    from core.plugins import RecommenderScores

    sample = {f"mentor:{n}": "fine" for n in range(ENTRIES_CHECKED)}
    assert not matches(RecommenderScores(scores=np.ones(1), reasons={"mentor:1": 42}), RecommenderScores)
    assert "reasons['mentor:1'] is int: 42" in mismatch(
        RecommenderScores(scores=np.ones(1), reasons={"mentor:1": 42}), RecommenderScores
    )
    # Past the sample the core checks the entries it reads (the ranker charges the plugin then).
    assert matches(RecommenderScores(scores=np.ones(1), reasons={**sample, "late": 42}), RecommenderScores)
