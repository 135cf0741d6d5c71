"""A new password ends every other way in: API tokens and the other browser sessions.

Django already refuses a session whose stored password hash no longer matches
(``get_session_auth_hash``), and allauth keeps the session that made the change
alive (``update_session_auth_hash``). API tokens have no such link to the
password, so they are deleted here. This runs on every path that saves a new
password: allauth's change and reset, the Wagtail and Django admin, the
``changepassword`` command and the API.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from .models import User


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_password_change")
def revoke_tokens_on_password_change(sender, instance: User, created: bool, **kwargs) -> None:
    # set_password() keeps the raw password in _password until save() has run password_changed().
    if created or getattr(instance, "_password", None) is None:
        return
    Token.objects.filter(user=instance).delete()
