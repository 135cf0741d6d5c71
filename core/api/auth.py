"""API tokens checked without a query per request.

DRF's ``TokenAuthentication`` reads the token and its person from PostgreSQL on
every API call, so a signed-in client's cheapest call (the session list, kept
in the cache) still took a pooled connection and two round trips. Here the
token with its person (without the password hash) is kept
(:func:`core.pages.cache.cached_part`) under a digest of the key, until:

* the token is deleted or changed (logout, a new password, an admin):
  ``token:<digest>``, bumped by the receivers below;
* the person is saved (deactivated, roles changed): ``site``, bumped by
  ``core.pages.receivers.person_saved``.

An unknown key is never kept (a flood of made-up keys fills nothing) and
gets DRF's own 401.
"""

from __future__ import annotations

import hashlib

from django.db.models.signals import post_delete, post_save
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.pages.cache import bump_on_commit, cached_part


def token_tag(key: str) -> str:
    return "token:" + hashlib.sha256(key.encode()).hexdigest()


class KeptTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, answered from the cache after the first call."""

    def authenticate_credentials(self, key: str):
        tag = token_tag(key)
        token = cached_part("api-token", [tag], [tag, "site"], lambda: self._lookup(key))
        if not token.user.is_active:
            return super().authenticate_credentials(key)  # DRF's own refusal, in the reader's language
        return token.user, token

    def _lookup(self, key: str) -> Token:
        token = self.get_model().objects.select_related("user").defer("user__password").filter(key=key).first()
        if token is None:
            super().authenticate_credentials(key)  # raises DRF's "Invalid token." (nothing is kept)
            raise exceptions.AuthenticationFailed()  # the token appeared between the two reads: try again
        return token


def token_changed(sender, instance: Token, **kwargs) -> None:
    bump_on_commit(token_tag(instance.key))


def connect() -> None:
    """Called once from ``ApiConfig.ready``."""
    for signal in (post_save, post_delete):
        signal.connect(token_changed, sender=Token, dispatch_uid=f"api-kept-token-{signal}")
