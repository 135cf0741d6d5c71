"""API tokens are checked from the cache after the first call (core.api.auth) and never outlive a change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def call(key: str, path: str = "/api/notifications/") -> tuple[int, int]:
    """Status of a GET with the token, and how many queries read tokens."""
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(path, HTTP_AUTHORIZATION=f"Token {key}")
    return response.status_code, sum("authtoken_token" in query["sql"] for query in captured)


def test_the_second_call_reads_no_token(user_factory):
    key = Token.objects.create(user=user_factory()).key
    assert call(key) == (200, 1)
    assert call(key) == (200, 0)


def test_a_deleted_token_is_refused_at_once(user_factory, committed):
    token = Token.objects.create(user=user_factory())
    assert call(token.key)[0] == 200
    with committed():
        token.delete()
    assert call(token.key)[0] == 401


def test_a_deactivated_person_is_refused_at_once(user_factory, committed):
    person = user_factory()
    key = Token.objects.create(user=person).key
    assert call(key)[0] == 200
    with committed():
        person.is_active = False
        person.save()
    assert call(key)[0] == 401


def test_a_new_password_ends_the_kept_token(user_factory, committed):
    person = user_factory()
    key = Token.objects.create(user=person).key
    assert call(key)[0] == 200
    with committed():
        person.set_password("another-Strong-pass-456")
        person.save()
    assert call(key)[0] == 401


def test_an_unknown_key_is_refused_and_not_kept(user_factory):
    key = "f" * 40
    assert call(key)[0] == 401
    Token.objects.create(user=user_factory(), key=key)
    assert call(key)[0] == 200


def test_the_kept_person_carries_no_password_hash(user_factory):
    import pickle

    from core.api.auth import KeptTokenAuthentication

    person = user_factory(password="a-Strong-pass-123")
    token = KeptTokenAuthentication()._lookup(Token.objects.create(user=person).key)
    assert "password" in token.user.get_deferred_fields()
    assert person.password.encode() not in pickle.dumps(token)
