"""The signed-in person of a browser session, without a query per request.

Django's ``AuthenticationMiddleware`` reads the person from PostgreSQL on every
signed-in request to check the session against their password. Under the load
benchmark that one query was all a kept dashboard asked the database, and it
made the page wait for a connection behind bookings (``core.ops.limiter``).
Here the person is kept (:func:`core.pages.cache.cached_part`) with the session
check Django would compute for them (``get_session_auth_hash``: an HMAC of the
password hash under ``SECRET_KEY``), but without the password hash itself,
until the person is saved or deleted (``login:<id>``, bumped on commit).

The kept answer is used only in the plain case: the session names one of the
model backends and its check matches the kept one exactly. Anything else (no
session, another backend, an old ``SECRET_KEY`` in the fallbacks, a changed
password, an inactive person) goes to Django's own ``get_user``, which decides
as it always does, flushing the session where it should.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from core.pages.cache import bump_on_commit, cached_part

#: Backends whose ``get_user`` is the model's active person by primary key (ModelBackend's).
MODEL_BACKENDS = frozenset(
    {"django.contrib.auth.backends.ModelBackend", "allauth.account.auth_backends.AuthenticationBackend"}
)


@dataclass
class KeptPerson:
    user: object
    session_auth_hash: str


def login_tag(user_id: object) -> str:
    return f"login:{user_id}"


def session_person(request: HttpRequest):
    """The request's person as ``django.contrib.auth.get_user`` would give it, from the cache when it can."""
    session = request.session
    backend, session_hash = session.get(BACKEND_SESSION_KEY), session.get(HASH_SESSION_KEY)
    if backend in MODEL_BACKENDS and backend in settings.AUTHENTICATION_BACKENDS and session_hash:
        try:
            user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        except (KeyError, ValidationError):  # a malformed session: Django's own path refuses it
            return auth.get_user(request)
        kept = cached_part("session-person", [user_id], [login_tag(user_id)], lambda: _person(user_id))
        if kept is not None and constant_time_compare(session_hash, kept.session_auth_hash):
            return kept.user
    return auth.get_user(request)


def _person(user_id: object) -> KeptPerson | None:
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    check = user.get_session_auth_hash()
    del user.__dict__["password"]  # kept deferred: read from the database if anything asks for it
    return KeptPerson(user=user, session_auth_hash=check)


class KeptPersonAuthenticationMiddleware(AuthenticationMiddleware):
    """``AuthenticationMiddleware`` whose ``request.user`` comes from :func:`session_person`."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # the session middleware's check, and ``request.auser``
        request.user = SimpleLazyObject(lambda: _user(request))


def _user(request: HttpRequest):
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_person(request)
    return request._cached_user


def person_changed(sender, instance, **kwargs) -> None:
    bump_on_commit(login_tag(instance.pk))


def connect(user_model) -> None:
    """Called once from ``AccountsConfig.ready``."""
    post_save.connect(person_changed, sender=user_model, dispatch_uid="accounts-session-person-saved")
    post_delete.connect(person_changed, sender=user_model, dispatch_uid="accounts-session-person-deleted")
