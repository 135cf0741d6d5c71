"""Bulkheads and per-site breakers: a hung plugin fills only its own share and trips only its own breaker."""

from __future__ import annotations

import threading
import time

import pytest

from core.plugins import breaker
from core.plugins.bulkhead import Bulkhead, Busy
from core.plugins.manager import PluginCallError
from core.plugins.models import PluginError
from tests.plugins import sample_plugins


def test_a_bulkhead_refuses_at_once_when_its_slots_are_held_by_overdue_calls():
    gate = threading.Event()
    bulkhead, neighbour = Bulkhead("hung", 2), Bulkhead("healthy", 2)
    try:
        past_budget = time.monotonic()
        hung = [bulkhead.submit(gate.wait, 5, deadline=past_budget) for _ in range(2)]
        started = time.monotonic()
        with pytest.raises(Busy, match="all 2 of its call slots are held by calls past their time budget"):
            bulkhead.submit(gate.wait, 5, deadline=time.monotonic() + 5)
        assert time.monotonic() - started < 1, "refused without waiting out the caller's budget"
        soon = time.monotonic() + 1
        assert neighbour.submit(lambda: "fine", deadline=soon).result(timeout=1) == "fine", "its own threads"
        gate.set()
        assert all(f.result(timeout=1) for f in hung)
        assert bulkhead.submit(lambda: "again", deadline=time.monotonic() + 1).result(timeout=1) == "again"
    finally:
        gate.set()
        bulkhead.shutdown()
        neighbour.shutdown()


def test_a_busy_healthy_plugin_gets_a_slot_when_one_frees_within_the_budget():
    bulkhead = Bulkhead("busy", 2)
    try:
        deadline = time.monotonic() + 5
        running = [bulkhead.submit(time.sleep, 0.05, deadline=deadline) for _ in range(2)]
        assert bulkhead.submit(lambda: "waited", deadline=deadline).result(timeout=5) == "waited"
        assert any(f.done() for f in running), "it ran in a slot a finished call gave back"
    finally:
        bulkhead.shutdown()


@pytest.fixture
def bulkheads_of(test_plugins, settings):
    """The manager again, with ``slots`` per plugin and site and the given breaker threshold."""
    from core.plugins.manager import get_manager, reset_manager

    def make(slots: int, threshold: int = 3):
        settings.PEERLEARN_PLUGINS = {
            **settings.PEERLEARN_PLUGINS,
            "CONCURRENCY": slots,
            "BREAKER_THRESHOLD": threshold,
        }
        reset_manager()
        return get_manager()

    return make


def test_a_hung_plugin_exhausts_only_its_own_share(bulkheads_of, enable, participant, default_site):
    manager = bulkheads_of(2, threshold=50)
    enable("test_good", "test_hangs")
    for _ in range(12):  # many calls pile up on the hung plugin, which never returns
        manager.call("peerlearn_ice_servers", participant=participant, only=["test_hangs"])
        [(name, servers)] = manager.call("peerlearn_ice_servers", participant=participant, only=["test_good"])
        assert name == "test_good" and servers
    kinds = list(PluginError.objects.filter(plugin="test_hangs").values_list("kind", flat=True))
    assert kinds.count("timeout") == 2, "only its two slots ever waited out the budget"
    assert kinds.count("busy") == 10, "every later call was refused at once"
    assert not PluginError.objects.filter(plugin="test_good").exists(), "never queued behind it, never timed out"
    assert not breaker.is_open("test_good", default_site.id)
    # Once the hung calls return, their slots serve calls again.
    sample_plugins.hanging.release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and manager.call(
        "peerlearn_ice_servers", participant=participant, only=["test_hangs"]
    ) != [("test_hangs", [])]:
        time.sleep(0.05)
    assert manager.call("peerlearn_ice_servers", participant=participant, only=["test_hangs"]) == [("test_hangs", [])]


def test_refused_calls_count_against_the_hung_plugin_alone(bulkheads_of, enable, participant, default_site):
    manager = bulkheads_of(2, threshold=3)
    enable("test_good", "test_hangs")
    for _ in range(8):
        manager.call("peerlearn_ice_servers", participant=participant, only=["test_hangs", "test_good"])
    assert breaker.is_open("test_hangs", default_site.id)
    kinds = list(PluginError.objects.filter(plugin="test_hangs").values_list("kind", flat=True))
    assert sorted(kinds) == ["breaker", "busy", "timeout", "timeout"], "two timeouts fill it, the refusal trips it"
    assert not breaker.is_open("test_good", default_site.id)
    assert sample_plugins.good.calls == 8


def test_breakers_open_per_site(test_plugins, enable, participant, default_site):
    from wagtail.models import Site

    other = Site.objects.create(hostname="other.example", port=80, root_page=default_site.root_page)
    enable("test_raises", secrets={"api_key": "k" * 8})
    enable("test_raises", site=other, secrets={"api_key": "k" * 8})
    for _ in range(3):
        test_plugins.call(
            "peerlearn_ice_servers", site_id=default_site.id, participant=participant, only=["test_raises"]
        )
    assert breaker.is_open("test_raises", default_site.id)
    assert not breaker.is_open("test_raises", other.id)
    calls = sample_plugins.raising.calls
    test_plugins.call("peerlearn_ice_servers", site_id=default_site.id, participant=participant, only=["test_raises"])
    assert sample_plugins.raising.calls == calls, "switched off on the site where it failed"
    test_plugins.call("peerlearn_ice_servers", site_id=other.id, participant=participant, only=["test_raises"])
    assert sample_plugins.raising.calls == calls + 1, "still called on the other site"
    assert set(PluginError.objects.filter(kind="breaker").values_list("plugin", "site_id")) == {
        ("test_raises", default_site.id)
    }


def test_money_fails_closed_with_a_clear_message_when_the_gateway_plugin_is_busy(bulkheads_of, enable, settings):
    from core.payments.errors import GatewayUnavailable
    from core.payments.services.gateways import Routed, call
    from core.plugins import PaymentStart

    manager = bulkheads_of(2, threshold=50)
    settings.PAYMENTS_GATEWAY_BUDGET = 0.3
    enable("test_hangs")
    gate = threading.Event()

    class StuckGateway:
        identifier = "stuck"

        def start_payment(self, request):
            gate.wait(10)

    routed = Routed(plugin="test_hangs", gateway=StuckGateway())
    try:
        codes = []
        for _ in range(3):
            with pytest.raises(GatewayUnavailable) as excinfo:
                call(routed, "start_payment", None, expect=PaymentStart)
            codes.append(excinfo.value.code)
        assert codes == ["gateway_timeout", "gateway_timeout", "gateway_busy"]
        assert "still busy with earlier requests" in str(excinfo.value)
        assert "Nothing was recorded" in str(excinfo.value)
        with pytest.raises(PluginCallError) as raw:
            manager.invoke("test_hangs", "stuck.start_payment", gate.wait, raise_errors=True, timeout=10)
        assert raw.value.kind == "busy"
    finally:
        gate.set()


@pytest.mark.realstack
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_callers_of_a_hung_plugin_leave_a_healthy_one_working(
    test_plugins, enable, participant, default_site
):
    """Sixteen request threads at once (PostgreSQL, Redis breakers): the old shared pool of 8 starved here."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    enable("test_good", "test_hangs")
    healthy: list[list[tuple[str, object]]] = []

    def request(_: int) -> None:
        try:
            for _ in range(5):
                test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_hangs"])
                healthy.append(test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_good"]))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(request, range(16)))
    assert len(healthy) == 80 and all([name for name, _ in answer] == ["test_good"] for answer in healthy)
    assert sample_plugins.good.calls == 80
    assert not PluginError.objects.filter(plugin="test_good").exists()
    assert not breaker.is_open("test_good", default_site.id)
    assert breaker.is_open("test_hangs", default_site.id)
    kinds = set(PluginError.objects.filter(plugin="test_hangs").values_list("kind", flat=True))
    assert kinds <= {"timeout", "busy", "breaker"} and "breaker" in kinds
