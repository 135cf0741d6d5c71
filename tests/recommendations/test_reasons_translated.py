"""Recommender reasons with values (``core.plugins.Reason``) are shown in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from core.plugins import Reason
from core.recommendations.ranker import render_reason
from plugins.recommenders.common import listed_reason
from plugins.recommenders.popularity.plugin import BOOKED_BY
from plugins.recommenders.trending.plugin import TRENDING


def test_a_count_picks_the_plural_form_of_the_readers_language():
    with translation.override("en"):
        assert render_reason(Reason(*BOOKED_BY, count=4)) == "booked by 4 learners"
    with translation.override("hi"):
        assert render_reason(Reason(*BOOKED_BY, count=4)) == "4 शिक्षार्थियों ने बुक किया"
    with translation.override("es"):
        assert render_reason(Reason(*TRENDING, count=1)) == "en auge el último 1 día"


def test_names_are_joined_the_readers_way_and_kept_as_they_are():
    reason = listed_reason("mentor:3", ["Python", "Django", "SQL", "Go"])
    with translation.override("en"):
        assert render_reason(reason) == "teaches Python, Django and SQL, which you listed"
    with translation.override("es"):
        assert render_reason(reason).startswith("enseña Python, Django y SQL")


@pytest.mark.parametrize(
    "bad",
    [Reason("booked by {count}", plural="booked by {count}s"), Reason("about {x}", values={"x": 1.5}), Reason(42)],
)
def test_a_reason_that_breaks_the_contract_is_refused(bad):
    with pytest.raises(TypeError):
        render_reason(bad)
