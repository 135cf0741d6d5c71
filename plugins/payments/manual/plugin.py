"""The invoice / bank transfer gateway plugin (off until an editor turns it on)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.plugins import PaymentGateway, PluginConfig, PluginMeta, SettingField, hookimpl

from .gateway import ManualGateway

DEFAULT_INSTRUCTIONS = (
    "Pay by bank transfer to the account shown on your invoice, quoting the payment reference above. "
    "Transfers usually arrive within one to three working days."
)

peerlearn_meta = PluginMeta(
    name=gettext_noop("Invoice / bank transfer"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Offline payments: the learner gets a reference and instructions; the booking stays pending "
            "until an editor marks the payment paid in the admin."
        )
    ),
    kind="payment",
    core_versions=">=0.1,<1",
    enabled_by_default=False,
    settings=(
        SettingField(
            "instructions",
            gettext_noop("Payment instructions"),
            "text",
            default=DEFAULT_INSTRUCTIONS,
            env="MANUAL_PAYMENT_INSTRUCTIONS",
            help_text=gettext_noop(
                "Shown on the checkout page: the bank account (IBAN, BIC), who to pay, how long it takes."
            ),
        ),
        SettingField("reference_prefix", gettext_noop("Reference prefix"), "str", default="PL"),
        SettingField(
            "currencies",
            gettext_noop("Currencies"),
            "str",
            default="",
            help_text=gettext_noop("Comma-separated ISO codes your bank account takes. Empty: any."),
        ),
        SettingField(
            "webhook_secret",
            gettext_noop("Webhook secret"),
            "secret",
            env="MANUAL_WEBHOOK_SECRET",
            help_text=gettext_noop(
                "Only for an accounting tool that posts signed payment notices; empty turns webhooks off."
            ),
        ),
    ),
)


@hookimpl
def peerlearn_payment_gateways(config: PluginConfig) -> list[PaymentGateway]:
    currencies = frozenset(c.strip().upper() for c in (config.get("currencies") or "").split(",") if c.strip())
    return [
        ManualGateway(
            instructions=config.get("instructions") or DEFAULT_INSTRUCTIONS,
            reference_prefix=(config.get("reference_prefix") or "PL").strip(),
            webhook_secret=config.get("webhook_secret") or "",
            currencies=currencies,
        )
    ]
