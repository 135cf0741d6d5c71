"""The recommender contract (``peerlearn_testing``), run against every installed recommender plugin.

The built-in plugins and any third-party recommender installed in the
environment pass the very suite a plugin's own repository runs.
"""

from __future__ import annotations

import pytest

from peerlearn_testing import RecommenderContract
from peerlearn_testing.plugins import of_kind

PLUGINS = of_kind("recommender")


def test_the_built_in_recommender_plugins_are_registered():
    assert {
        "recommender_content",
        "recommender_collaborative",
        "recommender_popularity",
        "recommender_trending",
    } <= set(PLUGINS)


@pytest.fixture(params=PLUGINS)
def peerlearn_plugin(request) -> str:
    return request.param


class TestRecommenderContract(RecommenderContract):
    pass
