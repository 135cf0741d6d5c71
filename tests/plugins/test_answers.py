"""Answers are checked at the boundary, for every extension point that hands data back, and charged to the plugin."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from core.plugins import IceServer, PaymentStart, Recommender, VideoBackend
from core.plugins.models import PluginError
from core.plugins.typecheck import matches, mismatch


def test_a_malformed_field_of_a_video_answer_is_refused_and_named(test_plugins, enable):
    enable("test_good")
    answer = [IceServer(urls="stun:one-string-not-a-tuple")]
    assert test_plugins.invoke("test_good", "peerlearn_ice_servers", lambda: answer, expect=Sequence[IceServer]) is None
    error = PluginError.objects.get(plugin="test_good")
    assert error.kind == "bad_result"
    assert error.message == "the answer[0].urls is str: 'stun:one-string-not-a-tuple'; expected tuple[str, ...]"


def test_a_malformed_payment_answer_fails_closed(test_plugins, enable, settings):
    from core.payments.errors import GatewayUnavailable
    from core.payments.services.gateways import Routed, call

    enable("test_good")

    class Careless:
        identifier = "careless"

        def start_payment(self, request):
            return PaymentStart(reference="pi_1", status="probably")

    with pytest.raises(GatewayUnavailable) as excinfo:
        call(Routed("test_good", Careless()), "start_payment", None, expect=PaymentStart)
    assert excinfo.value.code == "gateway_bad_result"
    assert "answered something unexpected" in str(excinfo.value) and "Nothing was recorded" in str(excinfo.value)
    assert ".status is str: 'probably'" in PluginError.objects.get(plugin="test_good").message


def test_a_gateway_whose_supports_fails_is_not_offered_and_is_charged(test_plugins, enable):
    from core.payments.services.gateways import Routed, supports

    enable("test_good")

    class Confused:
        identifier = "confused"

        def supports(self, currency):
            raise KeyError(currency)

    assert supports(Routed("test_good", Confused()), "EUR") is False
    error = PluginError.objects.get(plugin="test_good")
    assert (error.hook, error.kind) == ("confused.supports", "exception")


def test_providers_are_checked_against_the_attributes_their_contract_promises():
    class Astrology(Recommender):
        key = "stars"
        family = 42  # a family is a name (built in or declared); which names exist is checked where collected
        label = "By the stars"

        def fit(self, data): ...
        def score(self, user, candidates): ...
        def dumps(self): ...
        def loads(self, blob): ...

    assert not matches([Astrology()], Sequence[Recommender])
    assert mismatch([Astrology()], Sequence[Recommender]) == "the answer[0].family is int: 42; expected str"

    class Unsized(VideoBackend):
        identifier = "unsized"
        display_name = "No size"

        def room_for(self, request): ...

    assert mismatch(Unsized(), VideoBackend) == "the answer has no max_participants; expected int"
