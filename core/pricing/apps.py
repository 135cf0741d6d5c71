from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "core.pricing"
    label = "pricing"
    verbose_name = "Fees, coupons, tax and receipts"

    def ready(self) -> None:
        from . import signals  # noqa: F401
