"""Where kept parts are written and held: after the answer in one write, and in the process for shared ones.

A dashboard a booking made stale rebuilt seven parts, each written with its own
round trip before the answer; shared parts (the booking policy, the default
site, whether a campaign runs) were read from the cache by every request.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from core.ops.after_response import AfterResponseMiddleware
from core.pages import in_process
from core.pages.cache import _tag_key, bump, cached_part, collecting_parts, stored_part

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


def _in_a_request(view):
    """Run ``view`` as a request's innermost code; the answer, not yet closed (sent)."""
    return AfterResponseMiddleware(lambda request: view() or HttpResponse("ok"))(RequestFactory().get("/"))


def _counting(monkeypatch, method: str) -> list:
    calls = []
    original = getattr(cache, method)
    monkeypatch.setattr(cache, method, lambda *a, **kw: calls.append(a[0]) or original(*a, **kw))
    return calls


def test_parts_a_request_rebuilt_are_written_after_its_answer_in_one_write(monkeypatch):
    built = []

    def part(name: str) -> str:
        return cached_part(name, [1], [f"{name}-tag"], lambda: built.append(name) or f"{name} value")

    def view():
        assert (part("seats"), part("bell"), part("seats")) == ("seats value", "bell value", "seats value")

    sets, set_manys = _counting(monkeypatch, "set"), _counting(monkeypatch, "set_many")
    response = _in_a_request(view)
    assert built == ["seats", "bell"], "a part read again in the same request is not built twice"
    assert stored_part("seats", [1]) is None and not sets and not set_manys, "nothing written before the answer"
    response.close()
    assert stored_part("seats", [1])["value"] == "seats value" and stored_part("bell", [1])["value"] == "bell value"
    assert len(set_manys) == 1 and len(set_manys[0]) == 2, "both in one write"
    assert set(sets) <= set(set_manys[0]), "no write of its own (a local cache's set_many calls its set)"
    _in_a_request(view).close()
    assert built == ["seats", "bell"], "the next request reads what the first one wrote"


def test_a_part_is_stored_as_it_was_built_whatever_the_request_changes_after():
    def view():
        person = cached_part("person-like", [7], ["person:7"], lambda: {"name": "Ada", "perms": None})
        person["perms"] = {"kept on the object by a later check"}  # as Django's permission check does

    _in_a_request(view).close()
    assert stored_part("person-like", [7])["value"] == {"name": "Ada", "perms": None}


def test_a_part_bumped_in_the_request_that_built_it_is_neither_served_again_nor_written():
    built = []

    def view():
        assert cached_part("held", [3], ["person:3"], lambda: built.append(1) or len(built)) == 1
        bump("person:3")  # the request's own booking committed
        assert cached_part("held", [3], ["person:3"], lambda: built.append(1) or len(built)) == 2

    _in_a_request(view).close()
    assert stored_part("held", [3])["value"] == 2


def test_outside_a_request_a_rebuilt_part_is_written_at_once():
    assert cached_part("task-part", [], ["task-tag"], lambda: "built") == "built"
    assert stored_part("task-part", [])["value"] == "built"


def _shared(built: list) -> str:
    build = lambda: built.append(1) or f"policy {len(built)}"  # noqa: E731
    return cached_part("shared-policy", [], ["site"], build, in_process=True)


def test_a_shared_part_held_in_the_process_costs_no_cache_round_trip(monkeypatch):
    built = []
    assert _shared(built) == "policy 1"
    reads = _counting(monkeypatch, "get_many")
    assert _shared(built) == "policy 1" and _shared(built) == "policy 1"
    assert reads == [] and built == [1]


def test_a_change_saved_in_this_process_shows_at_once_one_saved_elsewhere_within_seconds(monkeypatch):
    built = []
    assert _shared(built) == "policy 1"
    bump("site")  # an editor saved the settings through this process
    assert _shared(built) == "policy 2"
    cache.set(_tag_key("site"), "bumped-by-another-process", timeout=None)
    assert _shared(built) == "policy 2", "held: this process has not looked again yet"
    now = in_process.monotonic()
    monkeypatch.setattr(in_process, "monotonic", lambda: now + in_process.SECONDS)
    assert _shared(built) == "policy 3"


def test_a_held_part_reports_its_versions_so_a_page_made_with_it_is_kept_and_goes_stale_with_it():
    built = []
    _shared(built)
    with collecting_parts() as used:
        _shared(built)
    assert used.keepable and set(used.versions) == {"site"}
    assert used.versions["site"] == cache.get(_tag_key("site"))
