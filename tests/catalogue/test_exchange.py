"""Prices compared across currencies with the editors' exchange rates: conversion, search, admin."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.catalogue.exchange import convert, convert_minor, current_rates
from core.catalogue.models import ExchangeRate

pytestmark = pytest.mark.django_db


def listed(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-mentor="(\d+)"', response.content.decode())]


def test_conversion_goes_through_the_reference(exchange_rates):
    rates = current_rates()
    assert rates["USD"] == 1 and rates["EUR"] == Decimal("0.9")
    assert convert(Decimal(90), "EUR", "USD", rates) == 100
    assert convert(Decimal(9), "EUR", "INR", rates) == 840
    assert convert(Decimal(5), "GBP", "GBP") == 5  # the same currency needs no rate
    assert convert(Decimal(5), "GBP", "USD", rates) is None  # no rate: not comparable, never guessed
    assert convert_minor(80000, "INR", "EUR", rates) == 857  # ₹800 = €8.57
    assert convert_minor(4000, "JPY", "USD", rates) == 2667  # JPY has no minor unit


def test_max_50_eur_keeps_800_inr_and_drops_50_gbp(client, make_mentor, exchange_rates):
    ExchangeRate.objects.create(currency="GBP", per_reference=Decimal("0.8"))
    pricey = make_mentor("Gwen Pound", rate=5000, currency="GBP")  # 50 GBP = 56.25 EUR
    cheap = make_mentor("Indu Rupee", rate=80000, currency="INR")  # 800 INR = 8.57 EUR
    response = client.get("/mentors/?max_price=50&price_currency=EUR")
    assert listed(response) == [cheap.user_id]
    html = response.content.decode()
    assert "≈ €8.57 / hour" in html  # the converted price is shown beside the mentor's own
    assert pricey.user_id not in listed(response)


def test_the_chosen_currency_is_remembered(client, make_mentor, exchange_rates):
    make_mentor("Indu Rupee", rate=80000, currency="INR")
    first = client.get("/mentors/?price_currency=EUR")
    assert first.cookies["peerlearn_currency"].value == "EUR"
    again = client.get("/mentors/")
    assert 'value="EUR" selected' in again.content.decode()
    assert "≈ €8.57" in again.content.decode()


def test_mentors_without_a_rate_are_named_not_silently_compared(client, make_mentor, exchange_rates):
    make_mentor("Kim Won", rate=3000000, currency="KRW")
    usd = make_mentor("Uma Dollar", rate=2000, currency="USD")
    response = client.get("/mentors/?max_price=100")
    assert listed(response) == [usd.user_id]
    assert "mentors charging in KRW, which has no exchange rate" in response.content.decode()


def test_bad_price_currency_is_a_clear_error(client, api_client):
    response = client.get("/mentors/?price_currency=XXX")
    assert 'data-filter-error="price_currency"' in response.content.decode()
    api = api_client.get("/api/mentors/?price_currency=XXX")
    assert api.status_code == 400 and "price_currency" in api.json()["errors"]


def test_the_reference_currency_needs_no_rate():
    with pytest.raises(ValidationError):
        ExchangeRate(currency="USD", per_reference=Decimal(1)).full_clean()
    with pytest.raises(ValidationError):
        ExchangeRate(currency="EUR", per_reference=Decimal(0)).full_clean()


def test_editors_maintain_rates_in_the_admin(client, user_factory):
    admin = user_factory(display_name="Editor", is_staff=True, is_superuser=True)
    client.force_login(admin)
    add = reverse("wagtailsnippets_catalogue_exchangerate:add")
    response = client.post(add, {"currency": "INR", "per_reference": "84.10"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ExchangeRate.objects.get(currency="INR").per_reference == Decimal("84.10")
    listing = client.get(reverse("wagtailsnippets_catalogue_exchangerate:list"))
    assert listing.status_code == 200 and "INR" in listing.content.decode()
