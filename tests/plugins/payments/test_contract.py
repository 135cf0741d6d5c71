"""The payment gateway contract (``peerlearn_testing``), run unchanged against every installed gateway plugin.

The built-in gateways (harnesses in ``harnesses.py``) and any third-party
gateway installed in the environment (its harness published by its package)
pass the very suite a gateway's own repository runs.
"""

from __future__ import annotations

import pytest

from peerlearn_testing import PaymentGatewayContract
from peerlearn_testing.payments import payment_plugins

PLUGINS = payment_plugins()


def test_every_built_in_gateway_is_registered():
    assert {"payment_stripe", "payment_razorpay", "payment_manual", "payment_giftcard"} <= set(PLUGINS)


@pytest.fixture(params=PLUGINS)
def peerlearn_plugin(request) -> str:
    return request.param


class TestPaymentGatewayContract(PaymentGatewayContract):
    pass
