"""The checkout page's Content-Security-Policy lets the chosen gateway's widget run, and only there."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}


def test_the_stripe_pay_page_allows_stripe_js_and_nonces_the_widget_script(stripe, booking_factory, client):
    booking = booking_factory()
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/stripe/")
    assert page.status_code == 200
    policy = directives(page)
    js = urlsplit(stripe.server.js_url)
    origin = f"{js.scheme}://{js.netloc}"  # localstripe here; https://js.stripe.com in production
    assert origin in policy["script-src"] and origin in policy["connect-src"] and origin in policy["frame-src"]
    assert "https://hooks.stripe.com" in policy["frame-src"]
    (nonce,) = [s[len("'nonce-") : -1] for s in policy["script-src"] if s.startswith("'nonce-")]
    html = page.content.decode()
    widget_script = re.search(r'<script nonce="([^"]+)">\s*\(function \(\) \{\s*"use strict";\s*var config', html)
    assert widget_script and widget_script.group(1) == nonce

    other = client.get(f"/payments/checkout/{booking.pk}/")
    assert origin not in other["Content-Security-Policy"]


def test_razorpay_declares_its_checkout_origins():
    from plugins.payments.razorpay.gateway import RazorpayGateway

    gateway = RazorpayGateway(key_id="rzp_test", key_secret="secret")
    sources = gateway.content_security_sources()
    assert sources["script-src"] == ["https://checkout.razorpay.com"]
    assert "https://api.razorpay.com" in sources["frame-src"]
