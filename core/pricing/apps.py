from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "core.pricing"
    label = "pricing"
    verbose_name = _("Fees, coupons, tax and receipts")

    def ready(self) -> None:
        from . import signals  # noqa: F401
