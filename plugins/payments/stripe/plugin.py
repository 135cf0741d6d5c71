"""The Stripe payment gateway plugin: settings, and the hook that builds the gateway.

Keys come from the plugin's configuration in the Wagtail admin (Settings >
Plugins > Stripe); for a fresh deployment the environment variables named
below supply the defaults.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.plugins import PaymentGateway, PluginConfig, PluginMeta, SettingField, hookimpl

from .gateway import StripeGateway

peerlearn_meta = PluginMeta(
    name=gettext_noop("Stripe"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Card payments with Stripe PaymentIntents, confirmed on the checkout page by Stripe.js; "
            "signed webhooks confirm bookings; full and partial refunds."
        )
    ),
    kind="payment",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "secret_key",
            gettext_noop("Secret key"),
            "secret",
            env="STRIPE_SECRET_KEY",
            required=True,
            help_text=gettext_noop("sk_live_... or sk_test_... Without it the gateway is not offered."),
        ),
        SettingField(
            "publishable_key",
            gettext_noop("Publishable key"),
            "str",
            default="",
            env="STRIPE_PUBLISHABLE_KEY",
            help_text=gettext_noop("pk_live_... or pk_test_..., given to the browser."),
        ),
        SettingField(
            "webhook_secret",
            gettext_noop("Webhook signing secret"),
            "secret",
            env="STRIPE_WEBHOOK_SECRET",
            help_text=gettext_noop(
                "whsec_... of the endpoint https://<your site>/payments/webhooks/stripe/ in Stripe's dashboard."
            ),
        ),
        SettingField(
            "api_base",
            gettext_noop("API base URL"),
            "url",
            default="",
            env="STRIPE_API_BASE",
            help_text=gettext_noop(
                "Empty for Stripe itself; set it to point the SDK at another server (localstripe in tests)."
            ),
        ),
        SettingField(
            "js_url",
            gettext_noop("Stripe.js URL"),
            "url",
            default="https://js.stripe.com/v3/",
            env="STRIPE_JS_URL",
            help_text=gettext_noop("Stripe requires Stripe.js to be loaded from Stripe; tests use localstripe's copy."),
        ),
        SettingField(
            "currencies",
            gettext_noop("Currencies"),
            "str",
            default="",
            env="STRIPE_CURRENCIES",
            help_text=gettext_noop("Comma-separated ISO codes this account takes, e.g. EUR,USD. Empty: any."),
        ),
        SettingField("timeout_seconds", gettext_noop("Request timeout (seconds)"), "int", default=15),
    ),
)


def currencies_setting(value: str | None) -> frozenset[str]:
    return frozenset(code.strip().upper() for code in (value or "").split(",") if code.strip())


@hookimpl
def peerlearn_payment_gateways(config: PluginConfig) -> list[PaymentGateway]:
    secret_key = config.get("secret_key")
    if not secret_key:
        return []
    return [
        StripeGateway(
            secret_key=secret_key,
            publishable_key=config.get("publishable_key") or "",
            webhook_secret=config.get("webhook_secret") or "",
            api_base=config.get("api_base") or "",
            js_url=config.get("js_url") or "https://js.stripe.com/v3/",
            currencies=currencies_setting(config.get("currencies")),
            timeout_seconds=float(config.get("timeout_seconds") or 15),
        )
    ]
