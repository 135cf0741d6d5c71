"""The plugin host: loading from entry points, per-site enabling and isolation."""

from __future__ import annotations

import logging
import time

import pytest

from core.plugins import breaker
from core.plugins.manager import PluginCallError
from core.plugins.models import PluginError
from tests.plugins import sample_plugins


def test_builtin_plugins_load_from_our_own_entry_points(test_plugins):
    turn = test_plugins.plugins["turn_credentials"]
    assert turn.loaded, turn.load_error
    assert turn.distribution == "peerlearn"
    assert turn.meta.kind == "video"
    assert turn.hooks == ["peerlearn_ice_servers"]


def test_third_party_distribution_is_loaded_through_the_entry_point_group(test_plugins):
    good = test_plugins.plugins["test_good"]
    assert good.loaded
    assert (good.distribution, good.distribution_version) == ("peerlearn-test-plugins", "1.0")
    assert good.entry_point == "tests.plugins.sample_plugins:good"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("test_no_meta", "no peerlearn_meta"),
        ("test_incompatible", "needs plugin API >=99"),
        ("test_unknown_hook", "unknown hooks: peerlearn_no_such_hook"),
        ("test_import_error", "import failed: ModuleNotFoundError"),
    ],
)
def test_invalid_plugins_are_listed_with_the_reason_and_not_loaded(test_plugins, name, reason):
    plugin = test_plugins.plugins[name]
    assert not plugin.loaded
    assert reason in plugin.load_error
    assert not test_plugins.is_enabled(name)


def test_plugins_are_off_until_enabled_for_the_site(test_plugins, enable, participant):
    assert test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good"]) == []
    enable("test_good")
    [(name, servers)] = test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good"])
    assert name == "test_good"
    assert servers[0].urls == ("stun:good.example:3478",)


def test_enabling_is_per_site(test_plugins, enable, default_site, participant):
    from wagtail.models import Site

    other = Site.objects.create(hostname="other.example", port=80, root_page=default_site.root_page)
    enable("test_good", site=other)
    assert not test_plugins.is_enabled("test_good", default_site.id)
    assert test_plugins.is_enabled("test_good", other.id)
    assert (
        test_plugins.call("peerlearn_ice_servers", site_id=default_site.id, participant=participant, only=["test_good"])
        == []
    )
    assert (
        len(test_plugins.call("peerlearn_ice_servers", site_id=other.id, participant=participant, only=["test_good"]))
        == 1
    )


def test_stored_settings_override_defaults(test_plugins, enable, participant):
    enable("test_good", settings={"urls": "stun:configured.example:3478"})
    [(_, servers)] = test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good"])
    assert servers[0].urls == ("stun:configured.example:3478",)


def test_a_raising_plugin_is_logged_recorded_and_skipped(test_plugins, enable, participant, caplog):
    enable("test_good", "test_raises", secrets={"api_key": "sk_live_verysecret"})
    caplog.set_level(logging.WARNING, logger="peerlearn.plugins")
    results = test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good", "test_raises"])
    assert [name for name, _ in results] == ["test_good"]
    error = PluginError.objects.get(plugin="test_raises")
    assert error.kind == "exception"
    assert error.hook == "peerlearn_ice_servers"
    assert "RuntimeError" in error.message and "RuntimeError" in error.traceback
    # The secret the plugin put in its exception is masked everywhere.
    assert "sk_live_verysecret" not in error.message + error.traceback + caplog.text
    assert "***" in error.message
    assert "test_raises" in caplog.text


def test_a_hanging_plugin_is_cut_off_at_its_time_budget(test_plugins, enable, participant):
    enable("test_good", "test_hangs")
    started = time.monotonic()
    results = test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good", "test_hangs"])
    elapsed = time.monotonic() - started
    assert [name for name, _ in results] == ["test_good"]
    assert elapsed < 3, "the call must not wait for the hanging plugin"
    assert PluginError.objects.get(plugin="test_hangs").kind == "timeout"


def test_a_plugin_returning_the_wrong_type_is_skipped(test_plugins, enable, participant):
    enable("test_garbage")
    assert test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_garbage"]) == []
    error = PluginError.objects.get(plugin="test_garbage")
    assert error.kind == "bad_result"
    assert "str" in error.message and "IceServer" in error.message


def test_repeated_failures_open_the_circuit_breaker(test_plugins, enable, participant):
    enable("test_raises", secrets={"api_key": "k" * 8})
    for _ in range(3):  # BREAKER_THRESHOLD in the fixture
        test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_raises"])
    assert breaker.is_open("test_raises")
    assert PluginError.objects.filter(plugin="test_raises", kind="breaker").count() == 1
    calls = sample_plugins.raising.calls
    test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_raises"])
    assert sample_plugins.raising.calls == calls, "an open breaker skips the plugin"
    breaker.reset("test_raises")
    test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_raises"])
    assert sample_plugins.raising.calls == calls + 1


def test_a_success_resets_the_failure_count(test_plugins, enable, participant, settings):
    enable("test_good")
    for _ in range(2):
        breaker.record_failure("test_good")
    test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good"])
    breaker.record_failure("test_good")
    assert not breaker.is_open("test_good")


def test_a_batch_of_calls_reads_every_gate_in_one_round_trip_and_obeys_an_open_breaker(
    test_plugins, enable, monkeypatch
):
    from django.core.cache import cache

    enable("test_good", "test_raises", secrets={"api_key": "k" * 8})
    for _ in range(3):  # BREAKER_THRESHOLD in the fixture
        breaker.record_failure("test_raises")
    reads = []
    get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys, *a, **kw: reads.append(keys) or get_many(keys, *a, **kw))
    with test_plugins.gates_read_once(["test_good", "test_raises"]):
        answers = [test_plugins.invoke(name, "count", lambda: 3, expect=int) for name in ("test_good", "test_raises")]
        answers.append(test_plugins.invoke("test_good", "count", lambda: 4, expect=int))
    assert answers == [3, None, 4], "the open breaker is obeyed, the other plugin answers"
    assert len(reads) == 1, reads
    test_plugins.invoke("test_good", "count", lambda: 3, expect=int)
    assert len(reads) == 2, "outside the block each call reads its own gate"


def test_invoke_fails_closed_when_asked(test_plugins, enable):
    enable("test_raises", secrets={"api_key": "k" * 8})

    def charge():
        raise ConnectionError("gateway down")

    assert test_plugins.invoke("test_raises", "charge", charge) is None
    with pytest.raises(PluginCallError) as excinfo:
        test_plugins.invoke("test_raises", "charge", charge, raise_errors=True)
    assert excinfo.value.kind == "exception"
    assert "gateway down" in excinfo.value.message


def test_invoke_checks_the_declared_type(test_plugins, enable):
    enable("test_good")
    assert test_plugins.invoke("test_good", "count", lambda: "three", expect=int) is None
    assert test_plugins.invoke("test_good", "count", lambda: 3, expect=int) == 3


def test_events_reach_listeners_only_after_commit(test_plugins, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from core.plugins import DomainEvent

    event = DomainEvent(name="user.signed_up", occurred_at=timezone.now(), payload={"user_id": 1})
    with django_capture_on_commit_callbacks() as callbacks:
        test_plugins.emit(event)
    assert len(callbacks) == 1
    with pytest.raises(ValueError):
        DomainEvent(name="made.up", occurred_at=timezone.now())


def test_core_versions_are_checked_against_the_plugin_api_version():
    from packaging.version import Version

    from core.plugins import API_VERSION
    from core.plugins.manager import PluginManager

    assert Version(API_VERSION).major == 0  # 0.x: every built-in plugin declares ">=0.1,<1" or similar
    assert PluginManager().core_version == API_VERSION
    assert "needs plugin API" in PluginManager(core_version="1.0.0").plugins["payment_manual"].load_error
