"""The Razorpay payment gateway plugin: settings, and the hook that builds the gateway."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.plugins import PaymentGateway, PluginConfig, PluginMeta, SettingField, hookimpl

from .gateway import DEFAULT_API_BASE, DEFAULT_CHECKOUT_JS, RazorpayGateway

peerlearn_meta = PluginMeta(
    name=gettext_noop("Razorpay"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Razorpay orders paid through Razorpay Checkout on the checkout page; the payment signature is "
            "checked on return and signed webhooks confirm bookings; full and partial refunds."
        )
    ),
    kind="payment",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "key_id",
            gettext_noop("Key id"),
            "str",
            default="",
            env="RAZORPAY_KEY_ID",
            required=True,
            help_text=gettext_noop(
                "rzp_live_... or rzp_test_...; given to the browser. Without it the gateway is not offered."
            ),
        ),
        SettingField("key_secret", gettext_noop("Key secret"), "secret", env="RAZORPAY_KEY_SECRET", required=True),
        SettingField(
            "webhook_secret",
            gettext_noop("Webhook secret"),
            "secret",
            env="RAZORPAY_WEBHOOK_SECRET",
            help_text=gettext_noop(
                "Secret of the webhook <your site>/payments/webhooks/razorpay/ in Razorpay's dashboard."
            ),
        ),
        SettingField(
            "api_base",
            gettext_noop("API base URL"),
            "url",
            default=DEFAULT_API_BASE,
            env="RAZORPAY_API_BASE",
            help_text=gettext_noop("Razorpay's API; tests point it at a local server."),
        ),
        SettingField(
            "checkout_js_url",
            gettext_noop("Checkout script URL"),
            "url",
            default=DEFAULT_CHECKOUT_JS,
            env="RAZORPAY_CHECKOUT_JS_URL",
        ),
        SettingField("business_name", gettext_noop("Name shown in Checkout"), "str", default="PeerLearn"),
        SettingField(
            "currencies",
            gettext_noop("Currencies"),
            "str",
            default="INR",
            env="RAZORPAY_CURRENCIES",
            help_text=gettext_noop(
                "Comma-separated ISO codes the account takes (international payments need Razorpay's approval)."
            ),
        ),
        SettingField("timeout_seconds", gettext_noop("Request timeout (seconds)"), "int", default=15),
    ),
)


def currencies_setting(value: str | None) -> frozenset[str]:
    return frozenset(code.strip().upper() for code in (value or "").split(",") if code.strip())


@hookimpl
def peerlearn_payment_gateways(config: PluginConfig) -> list[PaymentGateway]:
    key_id, key_secret = config.get("key_id"), config.get("key_secret")
    if not (key_id and key_secret):
        return []
    return [
        RazorpayGateway(
            key_id=key_id,
            key_secret=key_secret,
            webhook_secret=config.get("webhook_secret") or "",
            api_base=config.get("api_base") or DEFAULT_API_BASE,
            checkout_js_url=config.get("checkout_js_url") or DEFAULT_CHECKOUT_JS,
            business_name=config.get("business_name") or "PeerLearn",
            currencies=currencies_setting(config.get("currencies")),
            timeout_seconds=float(config.get("timeout_seconds") or 15),
        )
    ]
