"""The gift card gateway plugin (off until an editor turns it on and issues cards)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.plugins import PaymentGateway, PluginConfig, PluginMeta, SettingField, hookimpl

from .gateway import GiftCardGateway

peerlearn_meta = PluginMeta(
    name=gettext_noop("Gift cards"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Editor-issued gift card codes with balances (Snippets > Gift cards). The learner types the code at "
            "checkout and the booking is confirmed at once; what is left stays on the card; refunds go back onto it."
        )
    ),
    kind="payment",
    core_versions=">=0.1,<1",
    enabled_by_default=False,
    settings=(
        SettingField(
            "currencies",
            gettext_noop("Currencies"),
            "str",
            default="",
            help_text=gettext_noop(
                "Comma-separated ISO codes to offer gift cards for. Empty: any (each card has its own)."
            ),
        ),
    ),
)


@hookimpl
def peerlearn_payment_gateways(config: PluginConfig) -> list[PaymentGateway]:
    currencies = frozenset(c.strip().upper() for c in (config.get("currencies") or "").split(",") if c.strip())
    return [GiftCardGateway(currencies=currencies)]
