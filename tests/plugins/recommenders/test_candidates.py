"""``Candidates``: the keys a recommender scores, and the memoised alignment of its own item index."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from core.plugins import Candidates


class CountingIndex(dict):
    """A plugin's item index that counts look-ups, to see when alignment is worked out again."""

    lookups = 0

    def get(self, key, default=None):
        self.lookups += 1
        return super().get(key, default)


def test_it_is_a_read_only_sequence_of_keys():
    candidates = Candidates(["mentor:1", "session:2", "mentor:3"])
    assert isinstance(candidates, Sequence)
    assert len(candidates) == 3 and list(candidates) == ["mentor:1", "session:2", "mentor:3"]
    assert candidates[1] == "session:2" and candidates[-1] == "mentor:3"
    assert candidates[:2] == ("mentor:1", "session:2")
    assert "session:2" in candidates and "session:9" not in candidates
    assert len(Candidates()) == 0


def test_rows_map_each_candidate_to_the_plugins_own_row():
    candidates = Candidates(["mentor:1", "session:2", "mentor:3", "mentor:9"])
    index = {"mentor:3": 0, "mentor:1": 1, "mentor:7": 2}  # the model's order, with an item not offered
    assert candidates.rows(index).tolist() == [1, -1, 0, -1]
    with pytest.raises(ValueError):
        candidates.rows(index)[0] = 5  # shared between requests: read-only


def test_take_aligns_values_with_nan_where_the_model_has_no_row():
    candidates = Candidates(["mentor:1", "session:2", "mentor:3"])
    index = {"mentor:3": 0, "mentor:1": 1}
    values = np.array([30.0, 10.0], dtype=np.float32)
    scores = candidates.take(index, values)
    assert scores.dtype == np.float64
    assert scores[0] == 10.0 and math.isnan(scores[1]) and scores[2] == 30.0
    scores[0] = -1.0  # a fresh array each time: the caller may change it
    assert candidates.take(index, values)[0] == 10.0
    assert math.isnan(Candidates(["x"]).take({}, np.zeros(0))[0])
    assert Candidates().take(index, values).shape == (0,)


def test_alignment_is_worked_out_once_per_index_mapping():
    candidates = Candidates([f"mentor:{n}" for n in range(100)])
    index = CountingIndex({f"mentor:{n}": 99 - n for n in range(50)})
    first = candidates.rows(index)
    assert index.lookups == 100
    for _ in range(5):
        candidates.take(index, np.arange(100, dtype=np.float64))
        candidates.rows(index)
    assert index.lookups == 100  # remembered: later requests cost no dictionary look-ups
    assert candidates.rows(index) is first

    refitted = CountingIndex(index)  # equal contents, but a new model: aligned afresh
    candidates.rows(refitted)
    assert refitted.lookups == 100
    assert Candidates(list(candidates)).rows(index) is not first  # and per catalogue snapshot


def test_only_a_bounded_number_of_alignments_are_kept():
    candidates = Candidates(["mentor:1"])
    indexes = [{"mentor:1": n} for n in range(Candidates.MAX_ALIGNMENTS + 5)]
    for index in indexes:
        candidates.rows(index)
    assert len(candidates._aligned) == Candidates.MAX_ALIGNMENTS
    assert candidates.rows(indexes[0]).tolist() == [0]  # an evicted one is simply worked out again
