"""The site's sign-up answers the same for a new and a taken address (production: mandatory verification)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from core.accounts.models import User
from tests.accounts.test_site_forms import signup_data

pytestmark = pytest.mark.django_db


def test_signup_with_a_taken_email_looks_like_a_new_one_and_mails_the_owner(client, user_factory, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # as in production
    user_factory(email="grace@example.org", display_name="First")

    taken = client.post(reverse("account_signup"), signup_data())
    client.logout()
    new = client.post(reverse("account_signup"), signup_data(email="someone-new@example.org"))

    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == reverse("account_email_verification_sent")
    assert "already" not in client.get(taken["Location"]).content.decode().lower()
    assert User.objects.get(email="grace@example.org").display_name == "First"
    assert User.objects.filter(email__iexact="grace@example.org").count() == 1
    to_owner = [m for m in mail.outbox if m.to == ["grace@example.org"]]
    assert len(to_owner) == 1 and "already" in (to_owner[0].subject + to_owner[0].body).lower()
    assert "/accounts/password/reset/" in to_owner[0].body
