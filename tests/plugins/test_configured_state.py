"""A payment gateway without its keys is "Not configured" in the admin and never offered at checkout."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

STRIPE_ENV = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")


def _state_of(html: str, title: str) -> str:
    row = re.search(rf"<strong>{title}</strong>.*?</tr>", html, re.S)
    assert row, title
    return re.sub(r"<[^>]+>", " ", row.group(0))


def test_a_gateway_without_keys_is_not_configured(client, user_factory, monkeypatch):
    for name in (*STRIPE_ENV, "RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    html = client.get(reverse("plugins_admin:index")).content.decode()
    stripe = _state_of(html, "Stripe")
    assert "Not configured" in stripe and "Secret key" in stripe and "Enabled" not in stripe
    assert "Not configured" in _state_of(html, "Razorpay")
    out = StringIO()
    call_command("plugins", stdout=out)
    assert re.search(r"payment_stripe\s+payment\s+\S+\s+not configured", out.getvalue())

    from core.payments.services import gateways

    offered = {g.identifier for g in gateways.gateways_for("EUR", None)}
    assert "stripe" not in offered and "razorpay" not in offered


def test_keys_from_the_environment_make_it_enabled(client, user_factory, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_from_env")
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    html = client.get(reverse("plugins_admin:index")).content.decode()
    assert "Enabled" in _state_of(html, "Stripe") and "Not configured" not in _state_of(html, "Stripe")

    from core.payments.services import gateways

    assert "stripe" in {g.identifier for g in gateways.gateways_for("EUR", None)}
