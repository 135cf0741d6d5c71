"""Editors define plans in the Wagtail admin; a bad price is refused there and nothing is saved."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    return client


def _form(**changes) -> dict:
    data = {
        "name": "Studio",
        "slug": "studio",
        "description": "",
        "active": "on",
        "trial_days": "7",
        "sort_order": "0",
        "commission_percent": "11",
        "group_capacity": "",
        "badge": "Studio mentor",
        "prices-TOTAL_FORMS": "1",
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "1",
        "prices-MAX_NUM_FORMS": "1000",
        "prices-0-currency": "EUR",
        "prices-0-interval": "month",
        "prices-0-amount": "15.00",
        "prices-0-ORDER": "1",
        "prices-0-id": "",
        "prices-0-DELETE": "",
    }
    data.update(changes)
    return data


def test_editor_creates_a_plan_with_prices(editor):
    from core.subscriptions.models import Plan

    answer = editor.post("/admin/snippets/subscriptions/plan/add/", _form())
    assert answer.status_code == 302, answer.content[:2000]
    plan = Plan.objects.get(slug="studio")
    assert plan.commission_bp == 1100 and plan.prices.get().amount_minor == 1_500


@pytest.mark.parametrize(
    "changes",
    [{"prices-0-amount": "-5"}, {"prices-0-currency": "ABC"}, {"commission_percent": "20"}, {"trial_days": "400"}],
)
def test_bad_plan_input_is_refused_in_the_admin(editor, changes):
    from core.subscriptions.models import Plan, PlanPrice

    answer = editor.post("/admin/snippets/subscriptions/plan/add/", _form(**changes))
    assert answer.status_code == 200  # the form again, with the error
    assert not Plan.objects.exists() and not PlanPrice.objects.exists()


def test_subscriptions_are_listed_read_only(editor):
    assert editor.get("/admin/snippets/subscriptions/subscription/").status_code == 200
