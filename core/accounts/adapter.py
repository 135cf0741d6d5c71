"""allauth's adapter for PeerLearn: the client address behind trusted proxies, and mails that
speak as the site people know, not as the host that served the request."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext

from core.security.client_ip import client_ip


class PublicSite:
    """What allauth's templates read as ``current_site``: ``name`` and ``domain``."""

    def __init__(self, name: str, domain: str) -> None:
        self.name = name
        self.domain = domain

    def __str__(self) -> str:
        return self.domain


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits key on: the same one every other limit uses."""
        address = client_ip(request)
        if not address:
            raise PermissionDenied(gettext("Unable to determine the client's address."))
        return address

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Greet as the site's name at the public address (``PEERLEARN_BASE_URL``), whatever host served it."""
        from core.notifications.links import public_site

        return super().send_mail(template_prefix, email, {**context, "current_site": PublicSite(*public_site())})
