"""allauth's mails speak as the site people know, not as the host that served the request."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class PublicSite:
    """What allauth's templates read as ``current_site``: ``name`` and ``domain``."""

    def __init__(self, name: str, domain: str) -> None:
        self.name = name
        self.domain = domain

    def __str__(self) -> str:
        return self.domain


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Greet as the site's name at the public address (``PEERLEARN_BASE_URL``), whatever host served it."""
        from core.notifications.links import public_site

        return super().send_mail(template_prefix, email, {**context, "current_site": PublicSite(*public_site())})
