"""A domain refusal raised anywhere under an API view answers as JSON with its status, code and field."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from rest_framework import exceptions

from core.api.errors import as_api_exception
from core.api.refusals import Refusal
from core.payments.errors import GatewayUnavailable, PaymentError
from core.scheduling.services.errors import Conflict, IllegalTransition, SchedulingError


def test_domain_families_share_the_one_base() -> None:
    assert issubclass(SchedulingError, Refusal) and issubclass(PaymentError, Refusal)


def test_bad_input_naming_a_field_becomes_a_validation_error() -> None:
    api = as_api_exception(Refusal("Pick a start in the future.", code="past_start", field="starts_at"))
    assert isinstance(api, exceptions.ValidationError)
    assert api.detail == {"starts_at": ["Pick a start in the future."]}
    assert api.get_codes() == {"starts_at": ["past_start"]}


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (Conflict("No seat left."), 409, "conflict"),
        (IllegalTransition("booking", 3, "cancelled", "confirmed"), 409, "illegal_transition"),
        (GatewayUnavailable("Stripe did not answer."), 502, "gateway_error"),
        (Refusal("Nope."), 400, "invalid"),
    ],
)
def test_other_refusals_keep_their_status_and_code(refusal: Refusal, status: int, code: str) -> None:
    api = as_api_exception(refusal)
    assert isinstance(api, exceptions.APIException)
    assert (api.status_code, api.get_codes(), str(api.detail)) == (status, code, refusal.message)


class _LockNotAvailable(Exception):
    pgcode = "55P03"


def test_a_lock_timeout_is_a_retryable_conflict_and_other_database_errors_are_not() -> None:
    timed_out = OperationalError("lock timeout")
    timed_out.__cause__ = _LockNotAvailable()
    api = as_api_exception(timed_out)
    assert isinstance(api, exceptions.APIException) and (api.status_code, api.get_codes()) == (409, "busy")
    other = OperationalError("disk full")
    assert as_api_exception(other) is other


@pytest.mark.django_db
def test_a_refusal_outside_any_handler_block_still_answers_json(api_client, django_user_model) -> None:
    """The payments gateway list parses ``currency`` with no try/except of its own."""
    user = django_user_model.objects.create_user(email="refused@example.com", password="pw-123456789")
    api_client.force_authenticate(user)
    response = api_client.get("/api/payments/gateways/?currency=XX1")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"currency": ["Give a three-letter ISO currency code."]}
